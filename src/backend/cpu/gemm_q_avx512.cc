// AVX-512 VNNI gemm tiles for the quantized weight types: the micro-kernel
// for the packed layout of gemm_q_x86.h. One zmm holds 4 quants of 16 rows;
// vpdpbusd multiplies it by a broadcast group of 4 activation bytes of a
// token (embedded {1to16} broadcast) into that token's 16 int32 row sums.
// After a block (8 groups; Q6_K: a half-block of 4), the sums are scaled:
// acc += dw[row] * (da[token] * float(sum)) (+ m[row] * sa[token]).
#include "backend/cpu/gemm_q_x86.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu::avx512 {
namespace {

struct Micro {
  static constexpr int kT = 8;

  template <int T, class D>
  static void run(const PackedChunk& pc, int n_units, const int8_t* a, size_t a_stride,
                  const float* dsa, const int32_t* zs, float* c) {
    constexpr int G = D::kHalfScales ? 4 : 8;  // groups of 4 per unit
    __m512 acc[T];
    const int8_t* at[T];
    IMP_UNROLL
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm512_load_ps(c + 16 * t);
      at[t] = a + static_cast<size_t>(t) * a_stride;
    }
    for (int u = 0; u < n_units; ++u) {
      __m512i ia[T];
      IMP_UNROLL
      for (int t = 0; t < T; ++t) {
        ia[t] = D::kZero != 0 ? _mm512_set1_epi32(zs[16 * t + u]) : _mm512_setzero_si512();
      }
      const uint8_t* wq = pc.q + u * G * 64;
      IMP_UNROLL
      for (int g = 0; g < G; ++g) {
        const __m512i w = _mm512_load_si512(wq + 64 * g);
        IMP_UNROLL
        for (int t = 0; t < T; ++t) {
          const int32_t a4 = static_cast<int32_t>(x86_load_u32(at[t] + (u * G + g) * 4));
          ia[t] = _mm512_dpbusd_epi32(ia[t], w, _mm512_set1_epi32(a4));
        }
      }
      const __m512 d = _mm512_load_ps(pc.d + 16 * u);
      const int ab = D::kHalfScales ? u / 2 : u;
      IMP_UNROLL
      for (int t = 0; t < T; ++t) {
        const __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(ia[t]), _mm512_set1_ps(dsa[16 * t + ab]));
        acc[t] = _mm512_fmadd_ps(d, x, acc[t]);
      }
      if constexpr (D::kHasMin) {
        const __m512 m = _mm512_load_ps(pc.m + 16 * u);
        IMP_UNROLL
        for (int t = 0; t < T; ++t)
          acc[t] = _mm512_fmadd_ps(m, _mm512_set1_ps(dsa[16 * t + 8 + u]), acc[t]);
      }
    }
    IMP_UNROLL
    for (int t = 0; t < T; ++t) _mm512_store_ps(c + 16 * t, acc[t]);
  }

  static void store(const float* c, float* out, int nr) {
    _mm512_mask_storeu_ps(out, static_cast<__mmask16>((1u << nr) - 1u), _mm512_load_ps(c));
  }
};

}  // namespace

void fill_gemm_q(KernelTable& t) {
  auto set = [&t](DType type, GemmFn f) { t.types[static_cast<uint32_t>(type)].gemm = f; };
  set(DType::kQ4_0, &gemm_q<DecQ4_0, Micro>);
  set(DType::kQ4_1, &gemm_q<DecQ4_1, Micro>);
  set(DType::kQ5_0, &gemm_q<DecQ5_0, Micro>);
  set(DType::kQ5_1, &gemm_q<DecQ5_1, Micro>);
  set(DType::kQ8_0, &gemm_q<DecQ8_0, Micro>);
  set(DType::kQ4_K, &gemm_q<DecQ4_K, Micro>);
  set(DType::kQ5_K, &gemm_q<DecQ5_K, Micro>);
  set(DType::kQ6_K, &gemm_q<DecQ6_K, Micro>);
}

}  // namespace impetus::cpu::avx512
