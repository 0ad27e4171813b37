// Scalar (de)quantizers for the K-quant super-block types Q4_K, Q5_K, Q6_K and
// Q8_K (256 elements per block). Dequantization follows the ggml layouts in
// blocks.h exactly. The quantizers are our own least-squares searches, not
// bit-identical to llama.cpp's, but they write valid blocks:
//   Q4_K/Q5_K: per 32-element sub-block, search a scale and a min (x ~ s*q - m,
//     m >= 0) over a range of grid spacings, refit both by least squares and
//     refine; then code the 8 scales and 8 mins in 6 bits against the
//     super-block's d and dmin (keeping the best of the neighbouring codes)
//     and requantize every element with the coded values.
//   Q6_K: per 16-element sub-block, the same search for a symmetric scale
//     (q in -32..31); the 16 scales go to int8 against d = max / -128.
//   Q8_K: llama.cpp's rule: d = max / -127 (max: signed value of largest
//     magnitude), q = round-half-even(x / d), plus the 16 group sums.
// Sub-block fits run in double so huge finite inputs cannot overflow; half
// scales are rounded up in magnitude (so the largest sub-block scale fits its
// code) and saturate at 65504, so every output is finite.
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "tensor/quant/blocks.h"
#include "tensor/quant/quant_internal.h"

namespace impetus::quant_internal {
namespace {

// A fitted sub-block: value ~ scale * q - min (min >= 0; 0 for symmetric fits).
struct Fit {
  double scale = 0.0;
  double min = 0.0;
};

// Sum of squared errors of x ~ s*q - m over the best q in [qlo, qhi].
double fit_error(const float* x, int n, double s, double m, int qlo, int qhi) {
  double err = 0.0;
  for (int i = 0; i < n; ++i) {
    const int q = s > 0 ? nearest_clamped((x[i] + m) / s, qlo, qhi) : 0;
    const double e = s * q - m - x[i];
    err += e * e;
  }
  return err;
}

// Least-squares scale and min (min >= 0) for fixed quants q.
Fit refit_affine(const float* x, const int* q, int n) {
  double sq = 0, sqq = 0, sx = 0, sqx = 0;
  for (int i = 0; i < n; ++i) {
    sq += q[i];
    sqq += static_cast<double>(q[i]) * q[i];
    sx += x[i];
    sqx += q[i] * static_cast<double>(x[i]);
  }
  const double det = n * sqq - sq * sq;
  Fit f;
  if (det > 0) {
    f.scale = (n * sqx - sq * sx) / det;
    f.min = -(sqq * sx - sq * sqx) / det;  // offset = -min
  }
  if (f.min < 0 || det <= 0) {  // offset would be positive: pin it to zero
    f.min = 0;
    f.scale = sqq > 0 ? sqx / sqq : 0;
  }
  if (f.scale < 0) f = Fit{0.0, std::max(0.0, -sx / n)};
  return f;
}

// Asymmetric sub-block fit with q in [0, nmax].
Fit fit_asymmetric(const float* x, int n, int nmax) {
  double lo = 0.0, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, static_cast<double>(x[i]));
    hi = std::max(hi, static_cast<double>(x[i]));
  }
  if (hi <= lo) return Fit{0.0, -lo};  // constant block (<= 0) or all zero
  std::array<int, kQK_K> q{};
  Fit best{(hi - lo) / nmax, -lo};
  double best_err = fit_error(x, n, best.scale, best.min, 0, nmax);
  // Grid spacings around (hi - lo) / nmax; each is refit by least squares.
  for (int k = -10; k <= 10; ++k) {
    const double iscale = (nmax + 0.1 * k) / (hi - lo);
    for (int i = 0; i < n; ++i) q[i] = nearest_clamped((x[i] - lo) * iscale, 0, nmax);
    const Fit f = refit_affine(x, q.data(), n);
    const double err = fit_error(x, n, f.scale, f.min, 0, nmax);
    if (err < best_err) best = f, best_err = err;
  }
  for (int iter = 0; iter < 4 && best.scale > 0; ++iter) {  // alternate q and (s, m)
    for (int i = 0; i < n; ++i) q[i] = nearest_clamped((x[i] + best.min) / best.scale, 0, nmax);
    const Fit f = refit_affine(x, q.data(), n);
    const double err = fit_error(x, n, f.scale, f.min, 0, nmax);
    if (!(err < best_err)) break;
    best = f, best_err = err;
  }
  return best;
}

// Symmetric sub-block fit with q in [-32, 31]; the scale may be negative so
// the largest magnitude can use the extra level at -32.
double fit_symmetric6(const float* x, int n) {
  double amax = 0.0, max = 0.0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), max = x[i];
  }
  if (amax == 0.0) return 0.0;
  double best = 0.0, best_score = 0.0;  // score = (sum x q)^2 / sum q^2 = SSE reduction
  auto consider = [&](double iscale) {
    double sqx = 0, sqq = 0;
    for (int i = 0; i < n; ++i) {
      const int q = nearest_clamped(x[i] * iscale, -32, 31);
      sqx += q * static_cast<double>(x[i]);
      sqq += static_cast<double>(q) * q;
    }
    if (sqq > 0 && sqx * sqx / sqq > best_score) best_score = sqx * sqx / sqq, best = sqx / sqq;
  };
  for (int k = -10; k <= 10; ++k) {
    consider(-(32.0 + 0.1 * k) / max);
    consider((31.0 + 0.1 * k) / max);
  }
  for (int iter = 0; iter < 4 && best != 0.0; ++iter) {  // requantize with the fitted scale
    const double prev = best_score;
    consider(1.0 / best);
    if (!(best_score > prev)) break;
  }
  return best;
}

// Scale bits and the value they decode to.
struct HalfScale {
  uint16_t bits;
  double value;
};
// Rounds |d| up to a half (saturating at 65504), so the largest sub-block
// scale still fits its 6- or 8-bit code; this matters when d is a half
// subnormal, where rounding to nearest can lose a quarter of the value.
HalfScale half_scale(double d) {
  uint16_t bits = f16_sat(static_cast<float>(std::clamp(d, -1e6, 1e6)));
  if (std::fabs(f16_to_f32(bits)) < std::fabs(d) && (bits & 0x7fff) < 0x7bff) ++bits;
  return {bits, f16_to_f32(bits)};
}

// Q4_K/Q5_K: fills d, dmin, the packed scales and the quants L (0..nmax).
void quantize_k_asym(const float* x, int nmax, uint16_t* d, uint16_t* dmin, uint8_t* scales,
                     uint8_t* L) {
  constexpr int kSub = 32, kNSub = kQK_K / kSub;
  std::array<Fit, kNSub> fits;
  double max_scale = 0.0, max_min = 0.0;
  for (int j = 0; j < kNSub; ++j) {
    fits[j] = fit_asymmetric(x + j * kSub, kSub, nmax);
    max_scale = std::max(max_scale, fits[j].scale);
    max_min = std::max(max_min, fits[j].min);
  }
  const HalfScale hd = half_scale(max_scale / 63.0);
  const HalfScale hm = half_scale(max_min / 63.0);
  std::array<uint8_t, kNSub> sc{}, mn{};
  for (int j = 0; j < kNSub; ++j) {
    const int sc0 = hd.value > 0 ? nearest_clamped(fits[j].scale / hd.value, 0, 63) : 0;
    const int mn0 = hm.value > 0 ? nearest_clamped(fits[j].min / hm.value, 0, 63) : 0;
    // The 6-bit grid moved the fit: keep the best of the neighbouring codes.
    double best_err = std::numeric_limits<double>::infinity();
    for (int a = std::max(0, sc0 - 1); a <= std::min(63, sc0 + 1); ++a) {
      for (int b = std::max(0, mn0 - 1); b <= std::min(63, mn0 + 1); ++b) {
        const double err = fit_error(x + j * kSub, kSub, hd.value * a, hm.value * b, 0, nmax);
        if (err < best_err)
          best_err = err, sc[j] = static_cast<uint8_t>(a), mn[j] = static_cast<uint8_t>(b);
      }
    }
  }
  *d = hd.bits;
  *dmin = hm.bits;
  k_pack_scale_min(sc.data(), mn.data(), scales);
  for (int j = 0; j < kNSub; ++j) {
    const double s = hd.value * sc[j], m = hm.value * mn[j];
    for (int i = 0; i < kSub; ++i) {
      const float v = x[j * kSub + i];
      L[j * kSub + i] = static_cast<uint8_t>(s > 0 ? nearest_clamped((v + m) / s, 0, nmax) : 0);
    }
  }
}

}  // namespace

void dequantize_q4_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const auto b = load_block<BlockQ4_K>(src, i);
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    float* y = dst + i * kQK_K;
    for (int c = 0; c < 4; ++c) {  // chunk of 64 = sub-blocks 2c (low nibbles), 2c+1 (high)
      int sc0, m0, sc1, m1;
      k_scale_min(2 * c, b.scales, &sc0, &m0);
      k_scale_min(2 * c + 1, b.scales, &sc1, &m1);
      const float d0 = d * static_cast<float>(sc0), o0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), o1 = dmin * static_cast<float>(m1);
      const uint8_t* q = b.qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        y[64 * c + l] = d0 * static_cast<float>(q[l] & 0x0f) - o0;
        y[64 * c + 32 + l] = d1 * static_cast<float>(q[l] >> 4) - o1;
      }
    }
  }
}

void dequantize_q5_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const auto b = load_block<BlockQ5_K>(src, i);
    const float d = f16_to_f32(b.d), dmin = f16_to_f32(b.dmin);
    float* y = dst + i * kQK_K;
    for (int c = 0; c < 4; ++c) {
      int sc0, m0, sc1, m1;
      k_scale_min(2 * c, b.scales, &sc0, &m0);
      k_scale_min(2 * c + 1, b.scales, &sc1, &m1);
      const float d0 = d * static_cast<float>(sc0), o0 = dmin * static_cast<float>(m0);
      const float d1 = d * static_cast<float>(sc1), o1 = dmin * static_cast<float>(m1);
      const uint8_t* q = b.qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        const int h0 = ((b.qh[l] >> (2 * c)) & 1) << 4;
        const int h1 = ((b.qh[l] >> (2 * c + 1)) & 1) << 4;
        y[64 * c + l] = d0 * static_cast<float>((q[l] & 0x0f) | h0) - o0;
        y[64 * c + 32 + l] = d1 * static_cast<float>((q[l] >> 4) | h1) - o1;
      }
    }
  }
}

void dequantize_q6_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const auto b = load_block<BlockQ6_K>(src, i);
    const float d = f16_to_f32(b.d);
    float* y = dst + i * kQK_K;
    for (int h = 0; h < 2; ++h) {  // halves of 128
      const uint8_t* ql = b.ql + 64 * h;
      const uint8_t* qh = b.qh + 32 * h;
      for (int g = 0; g < 4; ++g) {  // quarters of 32
        const int shift = (g < 2) ? 0 : 4;
        for (int l = 0; l < 32; ++l) {
          const int e = 128 * h + 32 * g + l;
          const int lo = (ql[l + 32 * (g & 1)] >> shift) & 0x0f;
          const int hi = (qh[l] >> (2 * g)) & 3;
          y[e] =
              d * static_cast<float>(b.scales[e / 16]) * static_cast<float>((lo | (hi << 4)) - 32);
        }
      }
    }
  }
}

void dequantize_q8_k(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const auto b = load_block<BlockQ8_K>(src, i);
    for (int j = 0; j < kQK_K; ++j) dst[i * kQK_K + j] = b.d * static_cast<float>(b.qs[j]);
  }
}

void quantize_q4_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    BlockQ4_K b{};
    std::array<uint8_t, kQK_K> L{};
    quantize_k_asym(src + i * kQK_K, 15, &b.d, &b.dmin, b.scales, L.data());
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        b.qs[32 * c + l] = static_cast<uint8_t>(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
      }
    }
    store_block(dst, i, b);
  }
}

void quantize_q5_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    BlockQ5_K b{};
    std::array<uint8_t, kQK_K> L{};
    quantize_k_asym(src + i * kQK_K, 31, &b.d, &b.dmin, b.scales, L.data());
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int q0 = L[64 * c + l], q1 = L[64 * c + 32 + l];
        b.qs[32 * c + l] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
        b.qh[l] |= static_cast<uint8_t>(((q0 >> 4) << (2 * c)) | ((q1 >> 4) << (2 * c + 1)));
      }
    }
    store_block(dst, i, b);
  }
}

void quantize_q6_k(const float* src, void* dst, int64_t n) {
  constexpr int kSub = 16, kNSub = kQK_K / kSub;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    std::array<double, kNSub> scale{};
    double max_scale = 0.0;  // signed scale of largest magnitude
    for (int j = 0; j < kNSub; ++j) {
      scale[j] = fit_symmetric6(x + j * kSub, kSub);
      if (std::fabs(scale[j]) > std::fabs(max_scale)) max_scale = scale[j];
    }
    BlockQ6_K b{};
    const HalfScale hd = half_scale(max_scale / -128.0);
    b.d = hd.bits;
    std::array<uint8_t, kQK_K> L{};
    for (int j = 0; j < kNSub; ++j) {
      const int sc = hd.value != 0 ? nearest_clamped(scale[j] / hd.value, -128, 127) : 0;
      b.scales[j] = static_cast<int8_t>(sc);
      const double s = hd.value * sc;
      for (int l = 0; l < kSub; ++l) {
        const int q = s != 0 ? nearest_clamped(x[j * kSub + l] / s, -32, 31) : 0;
        L[j * kSub + l] = static_cast<uint8_t>(q + 32);
      }
    }
    for (int h = 0; h < 2; ++h) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t* q = L.data() + 128 * h + l;  // q[32g] is quarter g
        b.ql[64 * h + l] = static_cast<uint8_t>((q[0] & 0x0f) | ((q[64] & 0x0f) << 4));
        b.ql[64 * h + 32 + l] = static_cast<uint8_t>((q[32] & 0x0f) | ((q[96] & 0x0f) << 4));
        b.qh[32 * h + l] = static_cast<uint8_t>((q[0] >> 4) | ((q[32] >> 4) << 2) |
                                                ((q[64] >> 4) << 4) | ((q[96] >> 4) << 6));
      }
    }
    store_block(dst, i, b);
  }
}

void quantize_q8_k(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float* x = src + i * kQK_K;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      if (amax < std::fabs(x[j])) amax = std::fabs(x[j]), max = x[j];
    }
    BlockQ8_K b{};
    const float iscale = amax > 0 ? -127.0f / max : 0.0f;
    if (std::isfinite(iscale) && iscale != 0.0f) {  // else (all zero or < ~4e-37): zero block
      for (int j = 0; j < kQK_K; ++j) {
        b.qs[j] = static_cast<int8_t>(nearest_clamped(iscale * x[j], -128, 127));
      }
      b.d = 1.0f / iscale;
      while (!std::isfinite(b.d * 127.0f)) b.d = std::nextafter(b.d, 0.0f);  // max near FLT_MAX
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b.qs[16 * g + l];
      b.bsums[g] = static_cast<int16_t>(sum);
    }
    store_block(dst, i, b);
  }
}

}  // namespace impetus::quant_internal
