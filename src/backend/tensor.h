// Tensor: a tensor in a backend's memory (host RAM for the CPU backend,
// device memory for CUDA). Like TensorView it uses ggml dimension order:
// ne[0] is contiguous; a matrix of n rows by k columns has ne = {k, n}.
// Tensors do not own memory; Buffers (or the mapped model file) do.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/dtype.h"

namespace impetus {

struct Tensor {
  DType type = DType::kF32;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};
  void* data = nullptr;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t row_bytes() const { return dtype_row_bytes(type, ne[0]); }
  size_t n_bytes() const { return static_cast<size_t>(row_bytes() * n_rows()); }
  float* f32() const { return static_cast<float*>(data); }
  // Rows [first, first + n) as a tensor of shape {ne[0], n}.
  Tensor rows(int64_t first, int64_t n) const {
    Tensor t = *this;
    t.ne = {ne[0], n, 1, 1};
    t.data = static_cast<uint8_t*>(data) + first * row_bytes();
    return t;
  }
  // Same data seen with another shape (same element count).
  Tensor reshaped(std::array<int64_t, 4> new_ne) const {
    Tensor t = *this;
    t.ne = new_ne;
    return t;
  }
};

// A matrix tensor {cols, rows} of type t over `data`.
inline Tensor make_tensor(DType t, int64_t cols, int64_t rows, void* data) {
  return Tensor{t, {cols, rows, 1, 1}, data};
}

}  // namespace impetus
