// AVX2 vec_dot kernels (decode: one weight row . one activation row).
//
// Quantized types: per 32-element block, maddubs(u, a) (u8 x s8 -> pairs of
// int16) minus maddubs(kZero, a) gives the exact integer dot in int16 pairs,
// madd widens it to int32, and one FMA applies dw * da. Q8_0 uses the sign
// trick instead (|q| x sign(a, q)) because (q + 128) * a overflows int16 pairs.
// Float types: FMA in float, F16 converted with vcvtph2ps, BF16 by shifting.
#include "backend/cpu/kernels.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/quant_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu::avx2 {
namespace {

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Exact sum(u * a) - kZero * sum(a) of one 32-element sub-block as 16 int16
// pairs (callers widen with madd).
template <class D>
inline __m256i block_pairs(__m256i u, __m256i a) {
  if constexpr (D::kZero == 128) {  // Q8_0: back to signed q, sign trick
    const __m256i q = _mm256_xor_si256(u, _mm256_set1_epi8(static_cast<char>(0x80)));
    return _mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(a, q));
  } else if constexpr (D::kZero != 0) {
    return _mm256_sub_epi16(_mm256_maddubs_epi16(u, a),
                            _mm256_maddubs_epi16(_mm256_set1_epi8(D::kZero), a));
  } else {
    return _mm256_maddubs_epi16(u, a);
  }
}

template <class D>
float vec_dot_q(int64_t n, const void* w, const void* act) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  float mterm = 0.0f;
  const int64_t n_blocks = n / (kActBlock * D::kSub);
  for (int64_t b = 0; b < n_blocks; ++b, wb += D::kBytes) {
    float dw[D::kHalfScales ? 16 : D::kSub], m[D::kSub];
    D::scales(wb, dw, m);
    IMP_UNROLL
    for (int j = 0; j < D::kSub; ++j) {
      const int64_t ab = b * D::kSub + j;
      const __m256i a = x86_load256(qa + kActBlock * ab);
      const __m256i p = block_pairs<D>(D::quants(wb, j), a);
      const __m256 v = _mm256_cvtepi32_ps(_mm256_madd_epi16(p, ones));
      if constexpr (D::kHalfScales) {  // one scale per 16 elements (128-bit lane)
        const __m256 sc = _mm256_set_m128(_mm_set1_ps(dw[2 * j + 1]), _mm_set1_ps(dw[2 * j]));
        acc0 = _mm256_fmadd_ps(_mm256_mul_ps(v, sc), _mm256_set1_ps(da[ab]), acc0);
      } else if (j & 1) {
        acc1 = _mm256_fmadd_ps(v, _mm256_set1_ps(dw[j] * da[ab]), acc1);
      } else {
        acc0 = _mm256_fmadd_ps(v, _mm256_set1_ps(dw[j] * da[ab]), acc0);
      }
      if constexpr (D::kHasMin) mterm += m[j] * sa[ab];
    }
  }
  return hsum8(_mm256_add_ps(acc0, acc1)) + mterm;
}

float dot_f32(int64_t n, const void* w, const void* act) {
  const auto* wf = static_cast<const float*>(w);
  const auto* a = static_cast<const float*>(act);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    IMP_UNROLL
    for (int k = 0; k < 4; ++k) {
      acc[k] =
          _mm256_fmadd_ps(_mm256_loadu_ps(wf + i + 8 * k), _mm256_loadu_ps(a + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8)
    acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(wf + i), _mm256_loadu_ps(a + i), acc[0]);
  float s = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) s += wf[i] * a[i];
  return s;
}

inline __m256 f16x8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 bf16x8(const uint16_t* p) {
  const __m256i x = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
}
inline float bf16_scalar(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <bool kBf16>
float dot_half(int64_t n, const void* w, const void* act) {
  const auto* wh = static_cast<const uint16_t*>(w);
  const auto* a = static_cast<const float*>(act);
  auto load = [wh](int64_t i) { return kBf16 ? bf16x8(wh + i) : f16x8(wh + i); };
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    IMP_UNROLL
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(load(i + 8 * k), _mm256_loadu_ps(a + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(load(i), _mm256_loadu_ps(a + i), acc[0]);
  float s = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) s += (kBf16 ? bf16_scalar(wh[i]) : _cvtsh_ss(wh[i])) * a[i];
  return s;
}

}  // namespace

void fill_vec_dot(KernelTable& t) {
  auto set = [&t](DType type, VecDotFn f) { t.types[static_cast<uint32_t>(type)].vec_dot = f; };
  set(DType::kF32, &dot_f32);
  set(DType::kF16, &dot_half<false>);
  set(DType::kBF16, &dot_half<true>);
  set(DType::kQ4_0, &vec_dot_q<DecQ4_0>);
  set(DType::kQ4_1, &vec_dot_q<DecQ4_1>);
  set(DType::kQ5_0, &vec_dot_q<DecQ5_0>);
  set(DType::kQ5_1, &vec_dot_q<DecQ5_1>);
  set(DType::kQ8_0, &vec_dot_q<DecQ8_0>);
  set(DType::kQ4_K, &vec_dot_q<DecQ4_K>);
  set(DType::kQ5_K, &vec_dot_q<DecQ5_K>);
  set(DType::kQ6_K, &vec_dot_q<DecQ6_K>);
}

}  // namespace impetus::cpu::avx2
