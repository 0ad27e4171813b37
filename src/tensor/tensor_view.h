// TensorView: a non-owning view of tensor data in host memory (usually inside
// a memory-mapped model file). Dimensions follow ggml order: ne[0] is the
// contiguous one (a row), ne[1] counts rows, and so on. A weight matrix that
// maps n_in -> n_out features has ne = {n_in, n_out}.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace impetus {

struct TensorView {
  DType type = DType::kF32;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};  // elements per dimension, ne[0] contiguous
  const void* data = nullptr;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  int64_t row_bytes() const { return dtype_row_bytes(type, ne[0]); }
  size_t n_bytes() const { return static_cast<size_t>(row_bytes() * n_rows()); }
  const uint8_t* row(int64_t r) const { return static_cast<const uint8_t*>(data) + r * row_bytes(); }
};

}  // namespace impetus
