// Elementwise ops: add, add_bias, swiglu (silu(gate) * up).
#include <cmath>

#include "backend/cpu/ops.h"

namespace impetus::cpu {

void add(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = a.n_elements();
  pool.parallel_ranges(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out.f32()[i] = a.f32()[i] + b.f32()[i];
  });
}

void add_bias(ThreadPool& pool, Tensor& y, const Tensor& bias) {
  const int64_t n = y.ne[0];
  IMP_CHECK(bias.ne[0] == n && bias.type == DType::kF32, "bias shape/type mismatch");
  pool.parallel_for(y.n_rows(), [&](int64_t r) {
    float* row = y.f32() + r * n;
    for (int64_t i = 0; i < n; ++i) row[i] += bias.f32()[i];
  });
}

void swiglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& out) {
  const int64_t n = gate.n_elements();
  pool.parallel_ranges(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = gate.f32()[i];
      out.f32()[i] = g / (1.0f + std::exp(-g)) * up.f32()[i];
    }
  });
}

}  // namespace impetus::cpu
