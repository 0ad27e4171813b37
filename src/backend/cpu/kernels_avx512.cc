// AVX-512 (F/BW/VL/DQ + VNNI) kernels: activation quantization and the
// KV-cache kernels here; vec_dot in vec_dot_avx512.cc, gemm tiles in
// gemm_q_avx512.cc (quantized) and gemm_f_avx512.cc (F32/F16/BF16). Types
// and kernels not overridden keep the AVX2 ones (the table is filled by
// fill_avx2_kernels first).
#include "backend/cpu/kernels.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu {
namespace {

// std::lround of floats within 2^23: trunc, then one step away from zero
// when the dropped part is >= 0.5 (vcvtps2dq alone would round half to even).
inline __m512 round_half_away(__m512 v) {
  const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __mmask16 up =
      _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(v, t)), _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 step = _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
      _mm512_castps_si512(v), _mm512_set1_epi32(static_cast<int>(0x80000000u)),
      _mm512_castps_si512(_mm512_set1_ps(1.0f)), 0xea));  // (v & sign) | 1.0f
  return _mm512_mask_add_ps(t, up, t, step);
}

// Bit-identical to the scalar quantize_q8: d = amax / 127, q = lround(x / d).
void quantize_q8(const float* x, int64_t n, void* out) {
  auto* qs = static_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(static_cast<uint8_t*>(out) + n);
  float* s = d + n / kActBlock;
  for (int64_t b = 0; b < n / kActBlock; ++b) {
    const float* xb = x + b * kActBlock;
    const __m512 v0 = _mm512_loadu_ps(xb), v1 = _mm512_loadu_ps(xb + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_cvtps_epi32(round_half_away(_mm512_mul_ps(v0, vid)));
    const __m512i q1 = _mm512_cvtps_epi32(round_half_away(_mm512_mul_ps(v1, vid)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * kActBlock), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(qs + b * kActBlock + 16), _mm512_cvtepi32_epi8(q1));
    d[b] = db;
    s[b] = db * static_cast<float>(_mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1)));
  }
}

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

template <bool kF16>
inline __m512 load_kv(const void* row, int64_t i, __mmask16 m) {
  if constexpr (kF16) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(row) + i));
  } else {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(row) + i);
  }
}

template <bool kF16>
float kv_dot(int64_t n, const void* k, const float* q) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(load_kv<kF16>(k, i, 0xffff), _mm512_loadu_ps(q + i), acc0);
    acc1 = _mm512_fmadd_ps(load_kv<kF16>(k, i + 16, 0xffff), _mm512_loadu_ps(q + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    acc0 = _mm512_fmadd_ps(load_kv<kF16>(k, i, m), _mm512_maskz_loadu_ps(m, q + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

template <bool kF16>
void kv_axpy(int64_t n, float a, const void* v, float* acc) {
  const __m512 va = _mm512_set1_ps(a);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(
        acc + i, m, _mm512_fmadd_ps(va, load_kv<kF16>(v, i, m), _mm512_maskz_loadu_ps(m, acc + i)));
  }
}

}  // namespace

void fill_avx512_kernels(KernelTable& t) {
  t.isa = Isa::kAvx512;
  t.quantize_q8 = &quantize_q8;
  t.kv_f32 = {&kv_dot<false>, &kv_axpy<false>};
  t.kv_f16 = {&kv_dot<true>, &kv_axpy<true>};
  avx512::fill_vec_dot(t);
  avx512::fill_gemm_q(t);
  avx512::fill_gemm_f(t);
  avx512::fill_vec_dot_rows(t);
}

}  // namespace impetus::cpu
