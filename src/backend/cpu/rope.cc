// rope: rotary position embedding, in place, normal (adjacent pairs) or NeoX
// (halves) layout; only the first n_rot dimensions of each head rotate.
#include <cmath>
#include <vector>

#include "backend/cpu/ops.h"

namespace impetus::cpu {

void rope(ThreadPool& pool, Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
          const RopeParams& p) {
  const int64_t n_tok = x.ne[1];
  const int32_t half = p.n_rot / 2;
  IMP_CHECK(x.ne[0] == static_cast<int64_t>(n_heads) * head_dim && p.n_rot <= head_dim,
            "rope shape mismatch");
  // Inverse frequencies, shared by all tokens.
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int32_t i = 0; i < half; ++i) {
    double f = std::pow(static_cast<double>(p.freq_base), -2.0 * i / p.n_rot) * p.freq_scale;
    if (p.freq_factors != nullptr) f /= p.freq_factors[i];
    inv_freq[static_cast<size_t>(i)] = f;
  }
  pool.parallel_for(n_tok, [&](int64_t t) {
    const double pos = positions[t];
    for (int32_t i = 0; i < half; ++i) {
      const double theta = pos * inv_freq[static_cast<size_t>(i)];
      const float c = static_cast<float>(std::cos(theta));
      const float s = static_cast<float>(std::sin(theta));
      for (int32_t h = 0; h < n_heads; ++h) {
        float* v = x.f32() + t * x.ne[0] + static_cast<int64_t>(h) * head_dim;
        const int32_t a = p.mode == RopeMode::kNormal ? 2 * i : i;
        const int32_t b = p.mode == RopeMode::kNormal ? 2 * i + 1 : i + half;
        const float x0 = v[a], x1 = v[b];
        v[a] = x0 * c - x1 * s;
        v[b] = x0 * s + x1 * c;
      }
    }
  });
}

}  // namespace impetus::cpu
