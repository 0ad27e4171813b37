// AVX-512 gemm tiles for float weights (F32, F16, BF16; F32 activations).
//
// Register tiles of 4 rows x 6 tokens of 16-float partial sums: per step of
// 16 elements, each row's weights are loaded (F16: vcvtph2ps, BF16: shift)
// once and reused by the 6 tokens, each token's activations once and reused
// by the 4 rows. The 24 partial-sum vectors are reduced at the end of the row.
#include "backend/cpu/kernels.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu::avx512 {
namespace {

constexpr int kR = 4, kT = 6;

// kKind: 0 = F32, 1 = F16, 2 = BF16.
template <int kKind>
inline __m512 load_w(const uint8_t* row, int64_t i, __mmask16 m) {
  if constexpr (kKind == 0) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(row) + i);
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(row) + i);
    if constexpr (kKind == 1) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
}

// Sums of 4 vectors as [sum a0, sum a1, sum a2, sum a3].
inline __m128 reduce4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
  const __m512 t0 =
      _mm512_add_ps(_mm512_shuffle_f32x4(a0, a1, 0x44), _mm512_shuffle_f32x4(a0, a1, 0xee));
  const __m512 t1 =
      _mm512_add_ps(_mm512_shuffle_f32x4(a2, a3, 0x44), _mm512_shuffle_f32x4(a2, a3, 0xee));
  // 128-bit lane i now holds 4 partial sums of a_i.
  __m512 t = _mm512_add_ps(_mm512_shuffle_f32x4(t0, t1, 0x88), _mm512_shuffle_f32x4(t0, t1, 0xdd));
  t = _mm512_add_ps(t, _mm512_permute_ps(t, 0x4e));
  t = _mm512_add_ps(t, _mm512_permute_ps(t, 0xb1));
  const __m512i first = _mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  return _mm512_castps512_ps128(_mm512_permutexvar_ps(first, t));
}

// One register tile; rows / tokens past nr / nt repeat the last valid one and are not stored.
template <int kKind>
void tile(int64_t n, int nr, int nt, const uint8_t* w, size_t w_stride, const float* act,
          size_t a_stride, float* out, size_t out_stride) {
  const uint8_t* wr[kR];
  const float* at[kT];
  IMP_UNROLL
  for (int r = 0; r < kR; ++r) wr[r] = w + static_cast<size_t>(r < nr ? r : nr - 1) * w_stride;
  IMP_UNROLL
  for (int t = 0; t < kT; ++t) at[t] = act + static_cast<size_t>(t < nt ? t : nt - 1) * a_stride;
  __m512 acc[kR][kT];
  IMP_UNROLL
  for (auto& row : acc) {
    IMP_UNROLL
    for (auto& v : row) v = _mm512_setzero_ps();
  }
  auto step = [&](int64_t i, __mmask16 m) {
    __m512 wv[kR];
    IMP_UNROLL
    for (int r = 0; r < kR; ++r) wv[r] = load_w<kKind>(wr[r], i, m);
    IMP_UNROLL
    for (int t = 0; t < kT; ++t) {
      const __m512 av = _mm512_maskz_loadu_ps(m, at[t] + i);
      IMP_UNROLL
      for (int r = 0; r < kR; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], av, acc[r][t]);
    }
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) step(i, static_cast<__mmask16>(0xffff));
  if (i < n) step(i, static_cast<__mmask16>((1u << (n - i)) - 1u));
  const __mmask8 rows = static_cast<__mmask8>((1u << nr) - 1u);
  IMP_UNROLL
  for (int t = 0; t < kT; ++t) {  // constant indices keep acc in registers
    if (t < nt) {
      const __m128 s = reduce4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]);
      _mm_mask_storeu_ps(out + static_cast<size_t>(t) * out_stride, rows, s);
    }
  }
}

template <int kKind>
void gemm_f(int64_t n, int64_t nr, int64_t nt, const uint8_t* w, size_t w_stride,
            const uint8_t* act, size_t act_stride, float* out, size_t out_stride) {
  const size_t a_stride = act_stride / sizeof(float);
  const auto* a = reinterpret_cast<const float*>(act);
  for (int64_t t0 = 0; t0 < nt; t0 += kT) {
    for (int64_t r0 = 0; r0 < nr; r0 += kR) {
      tile<kKind>(n, static_cast<int>(nr - r0 < kR ? nr - r0 : kR),
                  static_cast<int>(nt - t0 < kT ? nt - t0 : kT),
                  w + static_cast<size_t>(r0) * w_stride, w_stride,
                  a + static_cast<size_t>(t0) * a_stride, a_stride,
                  out + static_cast<size_t>(t0) * out_stride + r0, out_stride);
    }
  }
}

}  // namespace

void fill_gemm_f(KernelTable& t) {
  t.types[static_cast<uint32_t>(DType::kF32)].gemm = &gemm_f<0>;
  t.types[static_cast<uint32_t>(DType::kF16)].gemm = &gemm_f<1>;
  t.types[static_cast<uint32_t>(DType::kBF16)].gemm = &gemm_f<2>;
}

}  // namespace impetus::cpu::avx512
