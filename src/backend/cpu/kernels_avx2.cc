// AVX2 (+FMA, F16C) kernels: activation quantization and the KV-cache
// kernels here; vec_dot in vec_dot_avx2.cc, gemm tiles in gemm_avx2.cc.
#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu {
namespace {

// Round half away from zero (std::lround) of floats that are integers or
// within 2^23: trunc, then step away from zero when the dropped part >= 0.5.
inline __m256 round_half_away(__m256 v) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(v, t));
  const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 step = _mm256_or_ps(_mm256_and_ps(v, sign), _mm256_set1_ps(1.0f));
  return _mm256_add_ps(t, _mm256_and_ps(up, step));
}

inline float hmax8(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline int hsum8i(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Bit-identical to the scalar quantize_q8: d = amax / 127, q = lround(x / d).
void quantize_q8(const float* x, int64_t n, void* out) {
  auto* qs = static_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(static_cast<uint8_t*>(out) + n);
  float* s = d + n / kActBlock;
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  for (int64_t b = 0; b < n / kActBlock; ++b) {
    const float* xb = x + b * kActBlock;
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    IMP_UNROLL
    for (int i = 0; i < 4; ++i) {
      v[i] = _mm256_loadu_ps(xb + 8 * i);
      amax = _mm256_max_ps(amax, _mm256_and_ps(v[i], abs_mask));
    }
    const float db = hmax8(amax) / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    __m256i q[4];
    IMP_UNROLL
    for (int i = 0; i < 4; ++i) {
      q[i] = _mm256_cvtps_epi32(round_half_away(_mm256_mul_ps(v[i], _mm256_set1_ps(id))));
    }
    const int sum =
        hsum8i(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
    // int32 -> int8 (values are within -127..127); packs interleave 128-bit lanes.
    const __m256i p16a = _mm256_packs_epi32(q[0], q[1]), p16b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i p8 = _mm256_packs_epi16(p16a, p16b);
    const __m256i fixed =
        _mm256_permutevar8x32_epi32(p8, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + b * kActBlock), fixed);
    d[b] = db;
    s[b] = db * static_cast<float>(sum);
  }
}

float kv_dot_f32(int64_t n, const void* k, const float* q) {
  const auto* kf = static_cast<const float*>(k);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(kf + i), _mm256_loadu_ps(q + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(kf + i + 8), _mm256_loadu_ps(q + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8)
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(kf + i), _mm256_loadu_ps(q + i), acc0);
  float s = hsum8(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += kf[i] * q[i];
  return s;
}

inline __m256 load_f16x8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

float kv_dot_f16(int64_t n, const void* k, const float* q) {
  const auto* kh = static_cast<const uint16_t*>(k);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(load_f16x8(kh + i), _mm256_loadu_ps(q + i), acc0);
    acc1 = _mm256_fmadd_ps(load_f16x8(kh + i + 8), _mm256_loadu_ps(q + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8)
    acc0 = _mm256_fmadd_ps(load_f16x8(kh + i), _mm256_loadu_ps(q + i), acc0);
  float s = hsum8(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += _cvtsh_ss(kh[i]) * q[i];
  return s;
}

void kv_axpy_f32(int64_t n, float a, const void* v, float* acc) {
  const auto* vf = static_cast<const float*>(v);
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(acc + i,
                     _mm256_fmadd_ps(va, _mm256_loadu_ps(vf + i), _mm256_loadu_ps(acc + i)));
  }
  for (; i < n; ++i) acc[i] += a * vf[i];
}

void kv_axpy_f16(int64_t n, float a, const void* v, float* acc) {
  const auto* vh = static_cast<const uint16_t*>(v);
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(acc + i, _mm256_fmadd_ps(va, load_f16x8(vh + i), _mm256_loadu_ps(acc + i)));
  }
  for (; i < n; ++i) acc[i] += a * _cvtsh_ss(vh[i]);
}

}  // namespace

void fill_avx2_kernels(KernelTable& t) {
  t.isa = Isa::kAvx2;
  t.quantize_q8 = &quantize_q8;
  t.kv_f32 = {&kv_dot_f32, &kv_axpy_f32};
  t.kv_f16 = {&kv_dot_f16, &kv_axpy_f16};
  avx2::fill_vec_dot(t);
  avx2::fill_gemm(t);
}

}  // namespace impetus::cpu
