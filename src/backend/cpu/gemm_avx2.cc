// AVX2 gemm tiles.
//
// Quantized types: the packed layout of gemm_q_x86.h with a ymm micro-kernel
// (8 rows per register, two registers per 16-row tile): maddubs of 4 quants x
// 8 rows with a broadcast group of 4 activation bytes, summed in int16 over
// as many groups as cannot overflow, widened with madd. Q8_0 uses the sign
// trick (|q| x sign(a, q)) since (q + 128) * a overflows int16 pairs.
//
// Float types: register tiles of 3 rows x 4 tokens of 8-float partial sums
// (weights converted once per tile step, reused by 4 tokens), reduced at the end.
#include "backend/cpu/gemm_q_x86.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu::avx2 {
namespace {

constexpr int pow2_floor(int x) {
  int p = 1;
  while (p * 2 <= x) p *= 2;
  return p;
}

struct Micro {
  static constexpr int kT = 4;

  template <int T, class D>
  static void run(const PackedChunk& pc, int n_units, const int8_t* a, size_t a_stride,
                  const float* dsa, const int32_t* zs, float* c) {
    constexpr int G = D::kHalfScales ? 4 : 8;
    constexpr bool kSign = D::kZero == 128;  // Q8_0
    constexpr int kPairMax = (kSign ? 128 : D::kUMax) * 127 * 2;
    constexpr int kRun = pow2_floor(32767 / kPairMax < G ? 32767 / kPairMax : G);
    const __m256i ones = _mm256_set1_epi16(1);
    const int8_t* at[T];
    IMP_UNROLL
    for (int t = 0; t < T; ++t) at[t] = a + static_cast<size_t>(t) * a_stride;
    for (int u = 0; u < n_units; ++u) {
      __m256i i0[T], i1[T];
      IMP_UNROLL
      for (int t = 0; t < T; ++t) {
        i0[t] =
            (D::kZero != 0 && !kSign) ? _mm256_set1_epi32(zs[16 * t + u]) : _mm256_setzero_si256();
        i1[t] = i0[t];
      }
      const uint8_t* wq = pc.q + u * G * 64;
      IMP_UNROLL
      for (int g0 = 0; g0 < G; g0 += kRun) {
        __m256i s0[T], s1[T];
        IMP_UNROLL
        for (int t = 0; t < T; ++t) s0[t] = s1[t] = _mm256_setzero_si256();
        IMP_UNROLL
        for (int g = g0; g < g0 + kRun; ++g) {
          __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wq + 64 * g));
          __m256i w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(wq + 64 * g + 32));
          __m256i q0 = w0, q1 = w1;
          if constexpr (kSign) {
            q0 = _mm256_xor_si256(w0, _mm256_set1_epi8(static_cast<char>(0x80)));
            q1 = _mm256_xor_si256(w1, _mm256_set1_epi8(static_cast<char>(0x80)));
            w0 = _mm256_abs_epi8(q0);
            w1 = _mm256_abs_epi8(q1);
          }
          IMP_UNROLL
          for (int t = 0; t < T; ++t) {
            const __m256i a4 =
                _mm256_set1_epi32(static_cast<int32_t>(x86_load_u32(at[t] + (u * G + g) * 4)));
            const __m256i a0 = kSign ? _mm256_sign_epi8(a4, q0) : a4;
            const __m256i a1 = kSign ? _mm256_sign_epi8(a4, q1) : a4;
            s0[t] = _mm256_add_epi16(s0[t], _mm256_maddubs_epi16(w0, a0));
            s1[t] = _mm256_add_epi16(s1[t], _mm256_maddubs_epi16(w1, a1));
          }
        }
        IMP_UNROLL
        for (int t = 0; t < T; ++t) {
          i0[t] = _mm256_add_epi32(i0[t], _mm256_madd_epi16(s0[t], ones));
          i1[t] = _mm256_add_epi32(i1[t], _mm256_madd_epi16(s1[t], ones));
        }
      }
      const __m256 d0 = _mm256_load_ps(pc.d + 16 * u), d1 = _mm256_load_ps(pc.d + 16 * u + 8);
      const int ab = D::kHalfScales ? u / 2 : u;
      IMP_UNROLL
      for (int t = 0; t < T; ++t) {
        const __m256 da = _mm256_set1_ps(dsa[16 * t + ab]);
        float* ct = c + 16 * t;
        __m256 c0 =
            _mm256_fmadd_ps(d0, _mm256_mul_ps(_mm256_cvtepi32_ps(i0[t]), da), _mm256_load_ps(ct));
        __m256 c1 = _mm256_fmadd_ps(d1, _mm256_mul_ps(_mm256_cvtepi32_ps(i1[t]), da),
                                    _mm256_load_ps(ct + 8));
        if constexpr (D::kHasMin) {
          const __m256 sa = _mm256_set1_ps(dsa[16 * t + 8 + u]);
          c0 = _mm256_fmadd_ps(_mm256_load_ps(pc.m + 16 * u), sa, c0);
          c1 = _mm256_fmadd_ps(_mm256_load_ps(pc.m + 16 * u + 8), sa, c1);
        }
        _mm256_store_ps(ct, c0);
        _mm256_store_ps(ct + 8, c1);
      }
    }
  }

  static void store(const float* c, float* out, int nr) {
    if (nr == kTileRows) {
      _mm256_storeu_ps(out, _mm256_load_ps(c));
      _mm256_storeu_ps(out + 8, _mm256_load_ps(c + 8));
      return;
    }
    for (int r = 0; r < nr; ++r) out[r] = c[r];
  }
};

// ---- Float weights.

inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

struct LoadF32 {
  static __m256 load8(const uint8_t* row, int64_t i) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
  }
  static float load1(const uint8_t* row, int64_t i) {
    return reinterpret_cast<const float*>(row)[i];
  }
};
struct LoadF16 {
  static __m256 load8(const uint8_t* row, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
  }
  static float load1(const uint8_t* row, int64_t i) {
    uint16_t h;
    std::memcpy(&h, row + 2 * i, 2);
    return _cvtsh_ss(h);
  }
};
struct LoadBF16 {
  static __m256 load8(const uint8_t* row, int64_t i) {
    const __m256i x =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
  }
  static float load1(const uint8_t* row, int64_t i) {
    uint16_t h;
    std::memcpy(&h, row + 2 * i, 2);
    const uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

constexpr int kFR = 3, kFT = 4;  // float register tile: rows x tokens

// One register tile; rows/tokens past nr/nt reuse the last valid one and are not stored.
template <class L>
void gemm_f_tile(int64_t n, int nr, int nt, const uint8_t* w, size_t w_stride, const float* act,
                 size_t act_stride, float* out, size_t out_stride) {
  const uint8_t* wr[kFR];
  const float* at[kFT];
  IMP_UNROLL
  for (int r = 0; r < kFR; ++r) wr[r] = w + static_cast<size_t>(r < nr ? r : nr - 1) * w_stride;
  IMP_UNROLL
  for (int t = 0; t < kFT; ++t) at[t] = act + static_cast<size_t>(t < nt ? t : nt - 1) * act_stride;
  __m256 acc[kFR][kFT];
  IMP_UNROLL
  for (auto& row : acc) {
    IMP_UNROLL
    for (auto& v : row) v = _mm256_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 wv[kFR];
    IMP_UNROLL
    for (int r = 0; r < kFR; ++r) wv[r] = L::load8(wr[r], i);
    IMP_UNROLL
    for (int t = 0; t < kFT; ++t) {
      const __m256 av = _mm256_loadu_ps(at[t] + i);
      IMP_UNROLL
      for (int r = 0; r < kFR; ++r) acc[r][t] = _mm256_fmadd_ps(wv[r], av, acc[r][t]);
    }
  }
  float sums[kFT][kFR];
  IMP_UNROLL
  for (int t = 0; t < kFT; ++t) {  // constant indices keep acc in registers
    IMP_UNROLL
    for (int r = 0; r < kFR; ++r) sums[t][r] = hsum8(acc[r][t]);
  }
  for (int t = 0; t < nt; ++t) {
    for (int r = 0; r < nr; ++r) {
      float s = sums[t][r];
      for (int64_t k = i; k < n; ++k) s += L::load1(wr[r], k) * at[t][k];
      out[static_cast<size_t>(t) * out_stride + r] = s;
    }
  }
}

template <class L>
void gemm_f(int64_t n, int64_t nr, int64_t nt, const uint8_t* w, size_t w_stride,
            const uint8_t* act, size_t act_stride, float* out, size_t out_stride) {
  const size_t a_stride = act_stride / sizeof(float);
  for (int64_t t0 = 0; t0 < nt; t0 += kFT) {
    for (int64_t r0 = 0; r0 < nr; r0 += kFR) {
      gemm_f_tile<L>(n, static_cast<int>(nr - r0 < kFR ? nr - r0 : kFR),
                     static_cast<int>(nt - t0 < kFT ? nt - t0 : kFT),
                     w + static_cast<size_t>(r0) * w_stride, w_stride,
                     reinterpret_cast<const float*>(act) + static_cast<size_t>(t0) * a_stride,
                     a_stride, out + static_cast<size_t>(t0) * out_stride + r0, out_stride);
    }
  }
}

}  // namespace

void fill_gemm(KernelTable& t) {
  auto set = [&t](DType type, GemmFn f) { t.types[static_cast<uint32_t>(type)].gemm = f; };
  set(DType::kF32, &gemm_f<LoadF32>);
  set(DType::kF16, &gemm_f<LoadF16>);
  set(DType::kBF16, &gemm_f<LoadBF16>);
  set(DType::kQ4_0, &gemm_q<DecQ4_0, Micro>);
  set(DType::kQ4_1, &gemm_q<DecQ4_1, Micro>);
  set(DType::kQ5_0, &gemm_q<DecQ5_0, Micro>);
  set(DType::kQ5_1, &gemm_q<DecQ5_1, Micro>);
  set(DType::kQ8_0, &gemm_q<DecQ8_0, Micro>);
  set(DType::kQ4_K, &gemm_q<DecQ4_K, Micro>);
  set(DType::kQ5_K, &gemm_q<DecQ5_K, Micro>);
  set(DType::kQ6_K, &gemm_q<DecQ6_K, Micro>);
}

}  // namespace impetus::cpu::avx2
