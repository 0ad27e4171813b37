// AVX-512 VNNI multi-row decode kernels (vec_dot_rows): one activation row
// against a stretch of weight rows. The activation is prepared once per call
// into a thread-local buffer, so the per-row loop does the least work per
// weight byte:
//   - the zero point of the weights (Q4_0: 8, Q8_0: 128 after the ^0x80 that
//     makes the quants unsigned for vpdpbusd) is removed exactly in integers
//     by starting each block's vpdpbusd accumulator at -zero * sum(a) of that
//     block (precomputed per block), instead of a second vpdpbusd per row;
//   - Q4_0 takes 4 blocks per zmm, one block per 128-bit lane: its 16 bytes
//     give the low nibbles (elements 0..15) and high nibbles (16..31), dotted
//     with the block's activation halves, which the preparation regroups so
//     that each half of 4 blocks is one zmm. Each lane holds one block, so
//     the per-block float scaling is one convert + permute + FMA per 4 blocks;
//   - each row is software-prefetched 1 KiB ahead (measured faster in decode;
//     the same in the F16 vec_dot measured slower).
// Integer block sums are exact, so results equal the scalar reference up to
// float summation order (tests/backend/cpu/kernels_test.cc). Float types
// keep vec_dot per row: one sequential stream per thread is what the
// memory system serves best (several rows at once measured slower from RAM).
#include <cstring>
#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/quant_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu::avx512 {
namespace {

constexpr int kPrefetchBytes = 1024;  // software prefetch distance within a row

// Software prefetch of kLines cache lines from kPrefetchBytes past p.
template <int kLines>
inline void prefetch_ahead(const uint8_t* p) {
  IMP_UNROLL
  for (int l = 0; l < kLines; ++l) {
    _mm_prefetch(reinterpret_cast<const char*>(p + kPrefetchBytes + 64 * l), _MM_HINT_T0);
  }
}

// Grows (never shrinks) this thread's buffer for prepared activations.
uint8_t* prep_buffer(size_t bytes) {
  thread_local std::vector<uint8_t> buf;
  if (buf.size() < bytes + 64) buf.resize(bytes + 64);
  return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(buf.data()) + 63) &
                                    ~uintptr_t{63});
}

inline __mmask16 first_n16(int n) {
  return static_cast<__mmask16>(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

// f16 scales at offset 0 of `cnt` (<= 16) blocks `kBytes` apart, as 16 floats
// (zero beyond cnt); packed 4 per 64-bit integer (no gather, no store forwarding).
template <int kBytes, bool kFull>
inline __m512 block_scales(const uint8_t* base, int cnt) {
  uint64_t dq[4] = {0, 0, 0, 0};
  IMP_UNROLL
  for (int q = 0; q < 16; ++q) {
    if (kFull || q < cnt) {
      uint16_t h;
      std::memcpy(&h, base + q * kBytes, 2);
      dq[q / 4] |= static_cast<uint64_t>(h) << (16 * (q % 4));
    }
  }
  const __m256i dh = _mm256_setr_epi64x(static_cast<int64_t>(dq[0]), static_cast<int64_t>(dq[1]),
                                        static_cast<int64_t>(dq[2]), static_cast<int64_t>(dq[3]));
  return _mm512_cvtph_ps(dh);
}

// The f16 scales of 16 full Q4_0 blocks (18 bytes apart) as floats: two
// word permutes over four 64-byte loads (which the quant loads hit in L1
// anyway), instead of 16 scalar loads.
inline __m512 q4_0_scales16(const uint8_t* w) {
  // Word 9k of 128 bytes is block k's d (k < 8); words 8..31 are not used.
  const __m512i idx = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                       0, 0, 0, 0, 0, 0, 0, 0, 63, 54, 45, 36, 27, 18, 9, 0);
  const __m512i lo =
      _mm512_permutex2var_epi16(_mm512_loadu_si512(w), idx, _mm512_loadu_si512(w + 64));
  const __m512i hi =
      _mm512_permutex2var_epi16(_mm512_loadu_si512(w + 144), idx, _mm512_loadu_si512(w + 208));
  const __m256i d =
      _mm256_inserti128_si256(_mm512_castsi512_si256(lo), _mm512_castsi512_si128(hi), 1);
  return _mm512_cvtph_ps(d);
}

// ---- Q4_0 ------------------------------------------------------------------
// Prepared activation, per group of 4 blocks (192 bytes): the first halves
// (elements 0..15) of the 4 blocks, their second halves, and 16 int32 lanes
// whose sum over each 128-bit lane is -8 * sum(a) of that lane's block. Then
// the block scales da, padded to a multiple of 16 with zeros.
constexpr int kQ4Group = 192;

const uint8_t* prepare_q4_0(int64_t n, const uint8_t* act) {
  const int64_t nb = n / kActBlock, ng = (nb + 3) / 4, nd = (nb + 15) / 16 * 16;
  uint8_t* p = prep_buffer(static_cast<size_t>(ng * kQ4Group + nd * 4));
  const int8_t* qa = act_q8_qs(act);
  const __m512i lo_idx = _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13);
  const __m512i hi_idx = _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15);
  const __m512i eight = _mm512_set1_epi8(8);
  for (int64_t g = 0; g < ng; ++g) {
    const int64_t left = (nb - 4 * g) * kActBlock;  // activation bytes left
    const __mmask64 m0 = left >= 64 ? ~0ull : (1ull << left) - 1;
    const __mmask64 m1 = left >= 128 ? ~0ull : left <= 64 ? 0ull : (1ull << (left - 64)) - 1;
    const __m512i a0 = _mm512_maskz_loadu_epi8(m0, qa + 128 * g);
    const __m512i a1 = _mm512_maskz_loadu_epi8(m1, qa + 128 * g + 64);
    const __m512i lo = _mm512_permutex2var_epi64(a0, lo_idx, a1);
    const __m512i hi = _mm512_permutex2var_epi64(a0, hi_idx, a1);
    const __m512i s8 =
        _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, lo), eight, hi);
    uint8_t* o = p + g * kQ4Group;
    _mm512_store_si512(o, lo);
    _mm512_store_si512(o + 64, hi);
    _mm512_store_si512(o + 128, _mm512_sub_epi32(_mm512_setzero_si512(), s8));
  }
  float* d = reinterpret_cast<float*>(p + ng * kQ4Group);
  const float* da = act_q8_d(act, n);
  for (int64_t b = 0; b < nd; b += 16) {
    _mm512_storeu_ps(d + b, _mm512_maskz_loadu_ps(first_n16(static_cast<int>(nb - b)), da + b));
  }
  return p;
}

// 16 quant bytes of 4 Q4_0 blocks (18 bytes apart, from `q`) in the 4
// 128-bit lanes; blocks at or beyond cnt repeat block 0 (their activations are 0).
template <bool kFull>
inline __m512i q4_0_quads(const uint8_t* q, int cnt) {
  auto at = [&](int k) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + ((kFull || k < cnt) ? 18 * k : 0)));
  };
  const __m256i x01 = _mm256_inserti128_si256(_mm256_castsi128_si256(at(0)), at(1), 1);
  const __m256i x23 = _mm256_inserti128_si256(_mm256_castsi128_si256(at(2)), at(3), 1);
  return _mm512_inserti64x4(_mm512_castsi256_si512(x01), x23, 1);
}

// Up to 16 blocks of one row from `w` (cnt of them), prepared activations at
// `pa` (groups) and `pd` (scales).
template <bool kFull>
inline __m512 q4_0_chunk(const uint8_t* w, int cnt, const uint8_t* pa, const float* pd,
                         __m512 acc) {
  const __m512 dw = kFull ? q4_0_scales16(w) : block_scales<18, false>(w, cnt);
  const __m512 sc = _mm512_mul_ps(dw, _mm512_load_ps(pd));
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  const int n_groups = kFull ? 4 : (cnt + 3) / 4;
  IMP_UNROLL
  for (int g = 0; g < 4; ++g) {
    if (!kFull && g >= n_groups) break;
    const uint8_t* pg = pa + g * kQ4Group;
    const __m512i x = q4_0_quads<kFull>(w + 18 * 4 * g + 2, kFull ? 4 : cnt - 4 * g);
    __m512i i = _mm512_load_si512(pg + 128);
    i = _mm512_dpbusd_epi32(i, _mm512_and_si512(x, m4), _mm512_load_si512(pg));
    i = _mm512_dpbusd_epi32(i, _mm512_and_si512(_mm512_srli_epi16(x, 4), m4),
                            _mm512_load_si512(pg + 64));
    const __m512i idx = _mm512_setr_epi32(4 * g, 4 * g, 4 * g, 4 * g, 4 * g + 1, 4 * g + 1,
                                          4 * g + 1, 4 * g + 1, 4 * g + 2, 4 * g + 2, 4 * g + 2,
                                          4 * g + 2, 4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_permutexvar_ps(idx, sc), acc);
  }
  return acc;
}

void rows_q4_0(int64_t n, int64_t nr, const uint8_t* w, size_t w_stride, const uint8_t* act,
               float* out) {
  const int64_t nb = n / kActBlock, ng = (nb + 3) / 4;
  const uint8_t* pa = prepare_q4_0(n, act);
  const float* pd = reinterpret_cast<const float*>(pa + ng * kQ4Group);
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * w_stride;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 32 <= nb; b += 32) {
      prefetch_ahead<5>(row + 18 * b);  // 32 blocks: 576 bytes, 9 lines
      acc0 = q4_0_chunk<true>(row + 18 * b, 16, pa + (b / 4) * kQ4Group, pd + b, acc0);
      prefetch_ahead<4>(row + 18 * b + 320);
      acc1 = q4_0_chunk<true>(row + 18 * (b + 16), 16, pa + ((b + 16) / 4) * kQ4Group, pd + b + 16,
                              acc1);
    }
    for (; b < nb; b += 16) {
      const int cnt = static_cast<int>(nb - b < 16 ? nb - b : 16);
      acc0 = cnt == 16
                 ? q4_0_chunk<true>(row + 18 * b, 16, pa + (b / 4) * kQ4Group, pd + b, acc0)
                 : q4_0_chunk<false>(row + 18 * b, cnt, pa + (b / 4) * kQ4Group, pd + b, acc0);
    }
    out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  }
}

// ---- Q8_0 ------------------------------------------------------------------
// Prepared: per pair of blocks 16 int32 lanes, lanes 0-7 summing to -128 *
// sum(a) of the first block and 8-15 of the second; then da padded to 16.
const uint8_t* prepare_q8_0(int64_t n, const uint8_t* act) {
  const int64_t nb = n / kActBlock, np = (nb + 1) / 2, nd = (nb + 15) / 16 * 16;
  uint8_t* p = prep_buffer(static_cast<size_t>(np * 64 + nd * 4));
  const int8_t* qa = act_q8_qs(act);
  const __m512i k128 = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t j = 0; j < np; ++j) {
    const __mmask64 m = 2 * j + 1 < nb ? ~0ull : 0xffffffffull;
    const __m512i a = _mm512_maskz_loadu_epi8(m, qa + 64 * j);
    _mm512_store_si512(p + 64 * j,
                       _mm512_sub_epi32(_mm512_setzero_si512(),
                                        _mm512_dpbusd_epi32(_mm512_setzero_si512(), k128, a)));
  }
  float* d = reinterpret_cast<float*>(p + np * 64);
  const float* da = act_q8_d(act, n);
  for (int64_t b = 0; b < nd; b += 16) {
    _mm512_storeu_ps(d + b, _mm512_maskz_loadu_ps(first_n16(static_cast<int>(nb - b)), da + b));
  }
  return p;
}

template <bool kFull>
inline __m512 q8_0_chunk(const uint8_t* w, int cnt, const int8_t* qa, const uint8_t* pc,
                         const float* pd, __m512 acc0, __m512& acc1) {
  const __m512 sc = _mm512_mul_ps(block_scales<34, kFull>(w, cnt), _mm512_load_ps(pd));
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  IMP_UNROLL
  for (int j = 0; j < 16; j += 2) {
    if (!kFull && j >= cnt) break;
    const bool pair = kFull || j + 1 < cnt;
    const __m512i x = _mm512_inserti64x4(_mm512_castsi256_si512(x86_load256(w + 34 * j + 2)),
                                         x86_load256(w + 34 * (pair ? j + 1 : j) + 2), 1);
    const __m512i av = _mm512_maskz_loadu_epi8(pair ? ~0ull : 0xffffffffull, qa + 32 * j);
    const __m512i i =
        _mm512_dpbusd_epi32(_mm512_load_si512(pc + 32 * j), _mm512_xor_si512(x, flip), av);
    const __m512i idx = _mm512_setr_epi32(j, j, j, j, j, j, j, j, j + 1, j + 1, j + 1, j + 1, j + 1,
                                          j + 1, j + 1, j + 1);
    const __m512 s = _mm512_permutexvar_ps(idx, sc);
    if (j & 2) {
      acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), s, acc1);
    } else {
      acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), s, acc0);
    }
  }
  return acc0;
}

void rows_q8_0(int64_t n, int64_t nr, const uint8_t* w, size_t w_stride, const uint8_t* act,
               float* out) {
  const int64_t nb = n / kActBlock, np = (nb + 1) / 2;
  const uint8_t* pc = prepare_q8_0(n, act);
  const float* pd = reinterpret_cast<const float*>(pc + np * 64);
  const int8_t* qa = act_q8_qs(act);
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * w_stride;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b += 16) {
      const int cnt = static_cast<int>(nb - b < 16 ? nb - b : 16);
      prefetch_ahead<9>(row + 34 * b);  // 16 blocks: 544 bytes
      acc0 =
          cnt == 16
              ? q8_0_chunk<true>(row + 34 * b, 16, qa + 32 * b, pc + 32 * b, pd + b, acc0, acc1)
              : q8_0_chunk<false>(row + 34 * b, cnt, qa + 32 * b, pc + 32 * b, pd + b, acc0, acc1);
    }
    out[r] = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  }
}

}  // namespace

void fill_vec_dot_rows(KernelTable& t) {
  auto set = [&t](DType type, VecDotRowsFn f) {
    t.types[static_cast<uint32_t>(type)].vec_dot_rows = f;
  };
  set(DType::kQ4_0, &rows_q4_0);
  set(DType::kQ8_0, &rows_q8_0);
}

}  // namespace impetus::cpu::avx512
