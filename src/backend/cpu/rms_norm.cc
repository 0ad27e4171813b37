// rms_norm: y = x / sqrt(mean(x^2) + eps) * w for every row of x.
#include <cmath>

#include "backend/cpu/ops.h"

namespace impetus::cpu {

void rms_norm(ThreadPool& pool, const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  const int64_t n = x.ne[0];
  IMP_CHECK(w.ne[0] == n && w.type == DType::kF32, "rms_norm weight shape/type mismatch");
  const float* wd = w.f32();
  pool.parallel_for(x.n_rows(), [&](int64_t r) {
    const float* xr = x.f32() + r * n;
    float* yr = y.f32() + r * n;
    double ss = 0.0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xr[i]) * xr[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
    for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * scale * wd[i];
  });
}

}  // namespace impetus::cpu
