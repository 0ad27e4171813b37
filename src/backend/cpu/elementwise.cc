// Elementwise ops: add, add_bias, swiglu (silu(gate) * up).
#include <cmath>
#include <functional>

#include "backend/cpu/ops.h"

namespace impetus::cpu {
namespace {

// Below this many elements an elementwise op runs on the calling thread: a
// parallel region costs more than the work.
constexpr int64_t kParallelMin = 1 << 15;

void for_ranges(ThreadPool& pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (n < kParallelMin) {
    fn(0, n);
  } else {
    pool.parallel_ranges(n, fn);
  }
}

}  // namespace

void add(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& out) {
  const int64_t n = a.n_elements();
  for_ranges(pool, n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out.f32()[i] = a.f32()[i] + b.f32()[i];
  });
}

void add_bias(ThreadPool& pool, Tensor& y, const Tensor& bias) {
  const int64_t n = y.ne[0];
  IMP_CHECK(bias.ne[0] == n && bias.type == DType::kF32, "bias shape/type mismatch");
  for_ranges(pool, y.n_rows() * n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y.f32()[i] += bias.f32()[i % n];
  });
}

void swiglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& out) {
  const int64_t n = gate.n_elements();
  for_ranges(pool, n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = gate.f32()[i];
      out.f32()[i] = g / (1.0f + std::exp(-g)) * up.f32()[i];
    }
  });
}

}  // namespace impetus::cpu
