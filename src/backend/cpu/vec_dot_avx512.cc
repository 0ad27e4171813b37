// AVX-512 VNNI vec_dot kernels (decode: one weight row . one activation row).
//
// Quantized types work on pairs of 32-element blocks (one zmm of 64 quants):
// vpdpbusd(u, a) gives 16 int32 partial sums, 8 per block; the zero point is
// removed exactly, lane by lane, with a second vpdpbusd(kZero, a); the
// partial sums are converted to float and multiplied by a per-lane scale
// vector (dw * da of each lane's block, picked from a 16-block vector by one
// permute), so no horizontal reduction happens until the end. Q4_0, Q4_1 and
// Q4_K keep high nibbles in place (x16, one AND instead of shift + AND) and
// give their lanes scale / 16. Legacy types collect the f16 scales of 16
// blocks in general-purpose registers (a vector gather is slower on Zen 4).
// Float types: FMA in float, F16 via vcvtph2ps, BF16 by shifting into F32
// (vdpbf16ps would round the F32 activations to BF16: not used).
#include <cstring>

#include "backend/cpu/kernels.h"
#include "backend/cpu/kernels_x86.h"
#include "backend/cpu/quant_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu::avx512 {
namespace {

inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }

// Exact sum(u * a) - kZero * sum(a) per group of 4 lanes' bytes.
template <int kZero>
inline __m512i dot_exact(__m512i u, __m512i a) {
  const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, a);
  if constexpr (kZero == 0) {
    return p;
  } else {
    return _mm512_sub_epi32(
        p, _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(kZero), a));
  }
}

// Two 32-element blocks (b0, b1) -> 64 bytes u.
inline __m512i bcast_pair(const uint8_t* q0,
                          const uint8_t* q1) {  // [q0, q0, q1, q1] (16 bytes each)
  const __m512i x = _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q0)));
  return _mm512_mask_broadcast_i32x4(x, 0xff00,
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(q1)));
}
// Nibbles with the high ones shifted down: lanes 0-3 / 8-11 low, 4-7 / 12-15 high.
inline __m512i nibble_pair(const uint8_t* q0, const uint8_t* q1) {
  const __m512i shifts = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004, 0, 0,
                                          0x0004000400040004, 0x0004000400040004, 0, 0);
  return _mm512_and_si512(_mm512_srlv_epi16(bcast_pair(q0, q1), shifts), _mm512_set1_epi8(0x0f));
}
// Nibbles with the high ones left in place (16 x their value): one AND.
inline __m512i nibble_pair_x16(const uint8_t* q0, const uint8_t* q1) {
  const __m512i keep = _mm512_set_epi64(
      static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull), static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull),
      0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f, static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull),
      static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull), 0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f);
  return _mm512_and_si512(bcast_pair(q0, q1), keep);
}
inline __m512i add_bit4(__m512i u, const uint8_t* qh0, const uint8_t* qh1) {
  const uint64_t bits = x86_load_u32(qh0) | (static_cast<uint64_t>(x86_load_u32(qh1)) << 32);
  return _mm512_mask_add_epi8(u, _cvtu64_mask64(bits), u, _mm512_set1_epi8(0x10));
}

// Per legacy type: the pair decoder, whether high nibbles stay x16 (their
// lanes then use scale / 16), and the zero point bytes (0: none).
template <class D>
struct Legacy;
template <>
struct Legacy<DecQ4_0> {
  static constexpr bool kHigh16 = true;
  static __m512i pair(const uint8_t* b0, const uint8_t* b1) {
    return nibble_pair_x16(b0 + 2, b1 + 2);
  }
  static __m512i zero() {  // 8 per low nibble, 8 * 16 per high nibble
    return _mm512_set_epi64(
        static_cast<int64_t>(0x8080808080808080ull), static_cast<int64_t>(0x8080808080808080ull),
        0x0808080808080808, 0x0808080808080808, static_cast<int64_t>(0x8080808080808080ull),
        static_cast<int64_t>(0x8080808080808080ull), 0x0808080808080808, 0x0808080808080808);
  }
};
template <>
struct Legacy<DecQ4_1> {
  static constexpr bool kHigh16 = true;
  static __m512i pair(const uint8_t* b0, const uint8_t* b1) {
    return nibble_pair_x16(b0 + 4, b1 + 4);
  }
  static __m512i zero() { return _mm512_setzero_si512(); }
};
template <>
struct Legacy<DecQ5_0> {
  static constexpr bool kHigh16 = false;
  static __m512i pair(const uint8_t* b0, const uint8_t* b1) {
    return add_bit4(nibble_pair(b0 + 6, b1 + 6), b0 + 2, b1 + 2);
  }
  static __m512i zero() { return _mm512_set1_epi8(16); }
};
template <>
struct Legacy<DecQ5_1> {
  static constexpr bool kHigh16 = false;
  static __m512i pair(const uint8_t* b0, const uint8_t* b1) {
    return add_bit4(nibble_pair(b0 + 8, b1 + 8), b0 + 4, b1 + 4);
  }
  static __m512i zero() { return _mm512_setzero_si512(); }
};
template <>
struct Legacy<DecQ8_0> {
  static constexpr bool kHigh16 = false;
  static __m512i pair(const uint8_t* b0, const uint8_t* b1) {
    const __m512i x =
        _mm512_inserti64x4(_mm512_castsi256_si512(x86_load256(b0 + 2)), x86_load256(b1 + 2), 1);
    return _mm512_xor_si512(x, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  static __m512i zero() { return _mm512_set1_epi8(static_cast<char>(0x80)); }
};

// Up to 16 blocks starting at `base` (cnt of them), activations from block b0.
template <class D, bool kFull>
inline void legacy_group(const uint8_t* base, int n_blk, const int8_t* a, const float* da,
                         const float* sa, __m512& acc0, __m512& acc1, __m512& macc) {
  using L = Legacy<D>;
  const int cnt = kFull ? 16 : n_blk;
  const __mmask16 k = static_cast<__mmask16>(cnt == 16 ? 0xffffu : (1u << cnt) - 1u);
  // f16 d (and m) of the blocks packed 4 per 64-bit integer: integer-pipe work,
  // no gather and no store-to-load forwarding stall.
  uint64_t dq[4] = {0, 0, 0, 0}, mq[4] = {0, 0, 0, 0};
  IMP_UNROLL
  for (int q = 0; q < 16; ++q) {
    if (kFull || q < cnt) {
      uint16_t h;
      std::memcpy(&h, base + q * D::kBytes, 2);
      dq[q / 4] |= static_cast<uint64_t>(h) << (16 * (q % 4));
      if constexpr (D::kHasMin) {
        std::memcpy(&h, base + q * D::kBytes + 2, 2);
        mq[q / 4] |= static_cast<uint64_t>(h) << (16 * (q % 4));
      }
    }
  }
  const __m256i dh = _mm256_setr_epi64x(static_cast<int64_t>(dq[0]), static_cast<int64_t>(dq[1]),
                                        static_cast<int64_t>(dq[2]), static_cast<int64_t>(dq[3]));
  const __m512 sc = _mm512_mul_ps(_mm512_cvtph_ps(dh), _mm512_maskz_loadu_ps(k, da));
  const __m512 sch = L::kHigh16 ? _mm512_mul_ps(sc, _mm512_set1_ps(1.0f / 16.0f)) : sc;
  if constexpr (D::kHasMin) {
    const __m256i mh = _mm256_setr_epi64x(static_cast<int64_t>(mq[0]), static_cast<int64_t>(mq[1]),
                                          static_cast<int64_t>(mq[2]), static_cast<int64_t>(mq[3]));
    macc = _mm512_fmadd_ps(_mm512_cvtph_ps(mh), _mm512_maskz_loadu_ps(k, sa), macc);
  }
  // Lane -> scale index: block 2p in lanes 0-7, 2p+1 in 8-15; with kHigh16
  // lanes 4-7 and 12-15 take the /16 copy (indices 16+).
  const __m512i idx0 =
      L::kHigh16 ? _mm512_setr_epi32(0, 0, 0, 0, 16, 16, 16, 16, 1, 1, 1, 1, 17, 17, 17, 17)
                 : _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  auto block_pair = [&](int j, const uint8_t* b1, __m512i av, __m512& acc) {
    const __m512i u = L::pair(base + j * D::kBytes, b1);
    __m512i i = _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, av);
    if constexpr (D::kZero != 0)
      i = _mm512_sub_epi32(i, _mm512_dpbusd_epi32(_mm512_setzero_si512(), L::zero(), av));
    const __m512i idx = _mm512_add_epi32(idx0, _mm512_set1_epi32(j));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), _mm512_permutex2var_ps(sc, idx, sch), acc);
  };
  int j = 0;
  IMP_UNROLL
  for (; j + 4 <= cnt; j += 4) {
    block_pair(j, base + (j + 1) * D::kBytes, load512(a + 32 * j), acc0);
    block_pair(j + 2, base + (j + 3) * D::kBytes, load512(a + 32 * j + 64), acc1);
  }
  for (; j < cnt;
       j += 2) {  // last pair, or a single block whose partner lanes see zero activations
    const bool pair = j + 1 < cnt;
    const __m512i av = _mm512_maskz_loadu_epi8(pair ? ~0ull : 0xffffffffull, a + 32 * j);
    block_pair(j, base + (pair ? j + 1 : j) * D::kBytes, av, acc0);
  }
}

// Legacy types (blocks of 32 with an f16 d at offset 0 and, for kHasMin, an f16 m at 2).
template <class D>
float vec_dot_legacy(int64_t n, const void* w, const void* act) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  const int64_t n_blocks = n / kActBlock;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), macc = _mm512_setzero_ps();
  int64_t b0 = 0;
  for (; b0 + 16 <= n_blocks; b0 += 16) {
    legacy_group<D, true>(wb + b0 * D::kBytes, 16, qa + b0 * kActBlock, da + b0, sa + b0, acc0,
                          acc1, macc);
  }
  if (b0 < n_blocks) {
    legacy_group<D, false>(wb + b0 * D::kBytes, static_cast<int>(n_blocks - b0),
                           qa + b0 * kActBlock, da + b0, sa + b0, acc0, acc1, macc);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + _mm512_reduce_add_ps(macc);
}

// Q4_K / Q5_K: per super-block, 4 pairs of sub-blocks (low and high nibbles of 32 bytes).
template <bool kQ5>
float vec_dot_q45k(int64_t n, const void* w, const void* act) {
  constexpr int kBytes = kQ5 ? 176 : 144, kQs = kQ5 ? 48 : 16;
  const auto* wb = static_cast<const uint8_t*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  const __m512i shifts = _mm512_set_epi64(0x0004000400040004, 0x0004000400040004,
                                          0x0004000400040004, 0x0004000400040004, 0, 0, 0, 0);
  const __m512i idx0 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i idx16 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9, 9);
  const __m512i keep = _mm512_set_epi64(
      static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull), static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull),
      static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull), static_cast<int64_t>(0xf0f0f0f0f0f0f0f0ull),
      0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f, 0x0f0f0f0f0f0f0f0f);
  const __m512i bits0 = _mm512_set_epi64(0x0202020202020202, 0x0202020202020202, 0x0202020202020202,
                                         0x0202020202020202, 0x0101010101010101, 0x0101010101010101,
                                         0x0101010101010101, 0x0101010101010101);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m256 macc = _mm256_setzero_ps();
  for (int64_t sb = 0; sb < n / 256; ++sb) {
    const uint8_t* b = wb + sb * kBytes;
    const int64_t ab0 = sb * 8;
    const __m128i sm = x86_k_scales_mins(b + 4);
    const __m256 sc8 = _mm256_mul_ps(
        _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm)), _mm256_set1_ps(x86_h2f(b))),
        _mm256_loadu_ps(da + ab0));
    const __m256 mn8 =
        _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8))),
                      _mm256_set1_ps(x86_h2f(b + 2)));
    macc = _mm256_fnmadd_ps(mn8, _mm256_loadu_ps(sa + ab0), macc);
    // Q4_K keeps the high nibbles in place (x16): their lanes take sc / 16 (entries 8..15).
    const __m512 sc = kQ5 ? _mm512_castps256_ps512(sc8)
                          : _mm512_insertf32x8(_mm512_castps256_ps512(sc8),
                                               _mm256_mul_ps(sc8, _mm256_set1_ps(1.0f / 16.0f)), 1);
    __m512i qh2 = _mm512_setzero_si512();
    if constexpr (kQ5) qh2 = _mm512_broadcast_i64x4(x86_load256(b + 16));
    IMP_UNROLL
    for (int c = 0; c < 4; ++c) {
      const __m512i x2 = _mm512_broadcast_i64x4(x86_load256(b + kQs + 32 * c));
      __m512i u = kQ5 ? _mm512_and_si512(_mm512_srlv_epi16(x2, shifts), _mm512_set1_epi8(0x0f))
                      : _mm512_and_si512(x2, keep);
      if constexpr (kQ5) {
        const __mmask64 hb = _mm512_test_epi8_mask(qh2, _mm512_slli_epi64(bits0, 2 * c));
        u = _mm512_mask_add_epi8(u, hb, u, _mm512_set1_epi8(0x10));
      }
      const __m512i i =
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, load512(qa + 32 * (ab0 + 2 * c)));
      const __m512 s =
          _mm512_permutexvar_ps(_mm512_add_epi32(kQ5 ? idx0 : idx16, _mm512_set1_epi32(2 * c)), sc);
      if (c & 1) {
        acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), s, acc1);
      } else {
        acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i), s, acc0);
      }
    }
  }
  __m128 m4 = _mm_add_ps(_mm256_castps256_ps128(macc), _mm256_extractf128_ps(macc, 1));
  m4 = _mm_add_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_add_ss(m4, _mm_movehdup_ps(m4));
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + _mm_cvtss_f32(m4);
}

// Q6_K: per super-block, 2 halves x 2 pairs of activation blocks; scales per 16.
float vec_dot_q6k(int64_t n, const void* w, const void* act) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i idx0 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  const __m512i shl = _mm512_set_epi64(0x0002000200020002, 0x0002000200020002, 0x0002000200020002,
                                       0x0002000200020002, 0x0004000400040004, 0x0004000400040004,
                                       0x0004000400040004, 0x0004000400040004);
  const __m512i shr = _mm512_set_epi64(0x0002000200020002, 0x0002000200020002, 0x0002000200020002,
                                       0x0002000200020002, 0, 0, 0, 0);
  const __m512i m4 = _mm512_set1_epi8(0x0f), m30 = _mm512_set1_epi8(0x30);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (int64_t sb = 0; sb < n / 256; ++sb) {
    const uint8_t* b = wb + sb * 210;
    const int64_t ab0 = sb * 8;
    const __m512 sc16 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(
                                          reinterpret_cast<const __m128i*>(b + 192)))),
                                      _mm512_set1_ps(x86_h2f(b + 208)));
    const __m512 sv = _mm512_mul_ps(
        sc16, _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_loadu_ps(da + ab0))));
    IMP_UNROLL
    for (int h = 0; h < 2; ++h) {
      const __m512i lq = load512(b + 64 * h);
      const __m512i hq2 = _mm512_broadcast_i64x4(x86_load256(b + 128 + 32 * h));
      const __m512i u0 = _mm512_or_si512(_mm512_and_si512(lq, m4),
                                         _mm512_and_si512(_mm512_sllv_epi16(hq2, shl), m30));
      const __m512i u1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(lq, 4), m4),
                                         _mm512_and_si512(_mm512_srlv_epi16(hq2, shr), m30));
      const __m512i i0 = dot_exact<32>(u0, load512(qa + 32 * (ab0 + 4 * h)));
      const __m512i i1 = dot_exact<32>(u1, load512(qa + 32 * (ab0 + 4 * h + 2)));
      const __m512i k = _mm512_add_epi32(idx0, _mm512_set1_epi32(8 * h));
      acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i0), _mm512_permutexvar_ps(k, sv), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(i1),
                             _mm512_permutexvar_ps(_mm512_add_epi32(k, _mm512_set1_epi32(4)), sv),
                             acc1);
    }
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

// ---- Float weights. kKind: 0 = F32, 1 = F16, 2 = BF16.
template <int kKind>
inline __m512 load_w16(const void* w, int64_t i, __mmask16 m) {
  if constexpr (kKind == 0) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float*>(w) + i);
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t*>(w) + i);
    if constexpr (kKind == 1) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
}

template <int kKind>
float dot_float(int64_t n, const void* w, const void* act) {
  const auto* a = static_cast<const float*>(act);
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    IMP_UNROLL
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm512_fmadd_ps(load_w16<kKind>(w, i + 16 * k, 0xffff),
                               _mm512_loadu_ps(a + i + 16 * k), acc[k]);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m =
        n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    acc[0] = _mm512_fmadd_ps(load_w16<kKind>(w, i, m), _mm512_maskz_loadu_ps(m, a + i), acc[0]);
  }
  return _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
}

}  // namespace

void fill_vec_dot(KernelTable& t) {
  auto set = [&t](DType type, VecDotFn f) { t.types[static_cast<uint32_t>(type)].vec_dot = f; };
  set(DType::kF32, &dot_float<0>);
  set(DType::kF16, &dot_float<1>);
  set(DType::kBF16, &dot_float<2>);
  set(DType::kQ4_0, &vec_dot_legacy<DecQ4_0>);
  set(DType::kQ4_1, &vec_dot_legacy<DecQ4_1>);
  set(DType::kQ5_0, &vec_dot_legacy<DecQ5_0>);
  set(DType::kQ5_1, &vec_dot_legacy<DecQ5_1>);
  set(DType::kQ8_0, &vec_dot_legacy<DecQ8_0>);
  set(DType::kQ4_K, &vec_dot_q45k<false>);
  set(DType::kQ5_K, &vec_dot_q45k<true>);
  set(DType::kQ6_K, &vec_dot_q6k);
}

}  // namespace impetus::cpu::avx512
