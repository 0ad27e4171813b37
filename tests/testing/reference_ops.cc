#include "testing/reference_ops.h"

#include <cmath>

namespace impetus::testing::ref {

std::vector<float> fake_quant_q8(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0;
    for (size_t i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[b * 32 + i]));
    const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    for (size_t i = 0; i < 32; ++i) y[b * 32 + i] = static_cast<float>(std::lround(x[b * 32 + i] * id)) * d;
  }
  return y;
}

std::vector<float> matmul(const std::vector<float>& w, int64_t n_in, int64_t n_out,
                          const std::vector<float>& x, int64_t n_tok) {
  std::vector<float> y(static_cast<size_t>(n_out * n_tok));
  for (int64_t t = 0; t < n_tok; ++t) {
    for (int64_t r = 0; r < n_out; ++r) {
      double s = 0;
      for (int64_t i = 0; i < n_in; ++i) s += static_cast<double>(w[r * n_in + i]) * x[t * n_in + i];
      y[t * n_out + r] = static_cast<float>(s);
    }
  }
  return y;
}

std::vector<float> rms_norm(const std::vector<float>& x, int64_t n, const std::vector<float>& w,
                            float eps) {
  std::vector<float> y(x.size());
  for (size_t r = 0; r < x.size() / static_cast<size_t>(n); ++r) {
    double ss = 0;
    for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[r * n + i]) * x[r * n + i];
    const double scale = 1.0 / std::sqrt(ss / n + eps);
    for (int64_t i = 0; i < n; ++i) y[r * n + i] = static_cast<float>(x[r * n + i] * scale * w[i]);
  }
  return y;
}

std::vector<float> rope(const std::vector<float>& x, int32_t n_heads, int32_t head_dim,
                        const std::vector<int32_t>& positions, const RopeParams& p) {
  std::vector<float> y = x;
  const int64_t row = static_cast<int64_t>(n_heads) * head_dim;
  for (size_t t = 0; t < positions.size(); ++t) {
    for (int32_t h = 0; h < n_heads; ++h) {
      for (int32_t i = 0; i < p.n_rot / 2; ++i) {
        double freq = std::pow(static_cast<double>(p.freq_base), -2.0 * i / p.n_rot) * p.freq_scale;
        if (p.freq_factors) freq /= p.freq_factors[i];
        const double th = positions[t] * freq;
        const int a = p.mode == RopeMode::kNormal ? 2 * i : i;
        const int b = p.mode == RopeMode::kNormal ? 2 * i + 1 : i + p.n_rot / 2;
        const size_t base = t * static_cast<size_t>(row) + static_cast<size_t>(h) * head_dim;
        const double x0 = x[base + a], x1 = x[base + b];
        y[base + a] = static_cast<float>(x0 * std::cos(th) - x1 * std::sin(th));
        y[base + b] = static_cast<float>(x0 * std::sin(th) + x1 * std::cos(th));
      }
    }
  }
  return y;
}

std::vector<float> swiglu(const std::vector<float>& gate, const std::vector<float>& up) {
  std::vector<float> y(gate.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const double g = gate[i];
    y[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
  }
  return y;
}

std::vector<float> attention(const std::vector<float>& q, const std::vector<int32_t>& positions,
                             const std::vector<int32_t>& seq_of_token,
                             const std::vector<std::vector<float>>& k_by_seq,
                             const std::vector<std::vector<float>>& v_by_seq,
                             const AttentionParams& p) {
  const int64_t qd = static_cast<int64_t>(p.n_head) * p.head_dim;
  const int64_t kvd = static_cast<int64_t>(p.n_head_kv) * p.head_dim;
  std::vector<float> out(q.size());
  for (size_t t = 0; t < positions.size(); ++t) {
    const auto& k = k_by_seq[static_cast<size_t>(seq_of_token[t])];
    const auto& v = v_by_seq[static_cast<size_t>(seq_of_token[t])];
    for (int32_t h = 0; h < p.n_head; ++h) {
      const int64_t kh = h / (p.n_head / p.n_head_kv);
      std::vector<double> s(static_cast<size_t>(positions[t] + 1));
      double mx = -1e300;
      for (int32_t j = 0; j <= positions[t]; ++j) {
        double d = 0;
        for (int32_t e = 0; e < p.head_dim; ++e) {
          d += static_cast<double>(q[t * qd + h * p.head_dim + e]) * k[j * kvd + kh * p.head_dim + e];
        }
        s[j] = d * p.scale;
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (auto& x : s) sum += (x = std::exp(x - mx));
      for (int32_t e = 0; e < p.head_dim; ++e) {
        double acc = 0;
        for (int32_t j = 0; j <= positions[t]; ++j) acc += s[j] * v[j * kvd + kh * p.head_dim + e];
        out[t * qd + h * p.head_dim + e] = static_cast<float>(acc / sum);
      }
    }
  }
  return out;
}

}  // namespace impetus::testing::ref
