// Block decoders shared by the x86 kernel files (AVX2 and AVX-512): for each
// quantized weight type, how to turn a block into 32 unsigned 8-bit quants per
// 32-element sub-block, with the float scales that go with them.
//
// Every decoder describes a weight value as  dw * (u - kZero) + m  where u is
// the unsigned byte it returns (0..255), kZero a per-type constant and dw, m
// per-sub-block floats (m = 0 unless kHasMin). Kernels multiply u by the int8
// activations (u8 x s8: maddubs on AVX2, vpdpbusd on AVX-512) and subtract
// kZero * sum(activations) in integers, so every block's integer dot product
// is exact, as in the scalar reference (kernels_scalar.cc).
//
// Q6_K is the one type whose scales cover 16 elements: its decoder has
// kHalfScales and returns 16 dw values per super-block (one per 16 elements).
//
// Internal linkage on purpose: this header is compiled into each ISA file
// with that file's instruction-set flags, and each copy must only ever run
// inside the file that compiled it (no shared inline symbols).
#pragma once

#include <cstdint>
#include <cstring>

#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu {
namespace {  // NOLINT(google-build-namespaces): see the paragraph above

inline float x86_h2f(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}
inline uint32_t x86_load_u32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline __m256i x86_load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// 16 bytes of packed nibbles -> 32 bytes: the low nibbles (elements 0..15),
// then the high nibbles (elements 16..31).
inline __m256i x86_nibbles32(const uint8_t* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), _mm256_set1_epi8(0x0f));
}

// 32 bits (little-endian, bit i = element i) -> 0x10 in byte i where the bit is set.
inline __m256i x86_bit4_from_bits(const uint8_t* p) {
  const uint32_t bits = x86_load_u32(p);
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  return _mm256_maskz_mov_epi8(bits, _mm256_set1_epi8(0x10));
#else
  const __m256i spread =
      _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(bits)),
                          _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                                           2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const __m256i sel = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, sel), sel);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
#endif
}

// Bit `j` (0..7) of each byte of v, moved to bit 4.
inline __m256i x86_bit_to_bit4(__m256i v, int j) {
  const __m256i t = _mm256_slli_epi16(_mm256_srl_epi16(v, _mm_cvtsi32_si128(j)), 4);
  return _mm256_and_si256(t, _mm256_set1_epi8(0x10));
}

// Q4_K / Q5_K: the eight 6-bit scales and mins of a super-block as bytes
// sc[0..7] (low 8 bytes) and mn[0..7] (high 8 bytes); see k_scale_min().
inline __m128i x86_k_scales_mins(const uint8_t* packed) {
  const uint32_t u0 = x86_load_u32(packed), u1 = x86_load_u32(packed + 4),
                 u2 = x86_load_u32(packed + 8);
  const uint32_t sc_lo = u0 & 0x3f3f3f3fu, mn_lo = u1 & 0x3f3f3f3fu;
  const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | (((u0 >> 6) & 0x03030303u) << 4);
  const uint32_t mn_hi = ((u2 >> 4) & 0x0f0f0f0fu) | (((u1 >> 6) & 0x03030303u) << 4);
  return _mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi), static_cast<int>(mn_lo),
                        static_cast<int>(mn_hi));
}

// ---- Decoders. kSub: 32-element sub-blocks per block; kBytes: block size;
// kUMax: the largest u.
// scales(b, dw, m) writes kSub (Q6_K: 16) dw values and, if kHasMin, kSub m
// values; quants(b, j) returns the 32 bytes u of sub-block j.

struct DecQ4_0 {
  static constexpr int kSub = 1, kBytes = 18, kZero = 8, kUMax = 15;
  static constexpr bool kHasMin = false, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float*) { dw[0] = x86_h2f(b); }
  static __m256i quants(const uint8_t* b, int) { return x86_nibbles32(b + 2); }
};

struct DecQ4_1 {
  static constexpr int kSub = 1, kBytes = 20, kZero = 0, kUMax = 15;
  static constexpr bool kHasMin = true, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float* m) {
    dw[0] = x86_h2f(b);
    m[0] = x86_h2f(b + 2);
  }
  static __m256i quants(const uint8_t* b, int) { return x86_nibbles32(b + 4); }
};

struct DecQ5_0 {
  static constexpr int kSub = 1, kBytes = 22, kZero = 16, kUMax = 31;
  static constexpr bool kHasMin = false, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float*) { dw[0] = x86_h2f(b); }
  static __m256i quants(const uint8_t* b, int) {
    return _mm256_or_si256(x86_nibbles32(b + 6), x86_bit4_from_bits(b + 2));
  }
};

struct DecQ5_1 {
  static constexpr int kSub = 1, kBytes = 24, kZero = 0, kUMax = 31;
  static constexpr bool kHasMin = true, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float* m) {
    dw[0] = x86_h2f(b);
    m[0] = x86_h2f(b + 2);
  }
  static __m256i quants(const uint8_t* b, int) {
    return _mm256_or_si256(x86_nibbles32(b + 8), x86_bit4_from_bits(b + 4));
  }
};

// Q8_0: u = q + 128 (q ^ 0x80), zero point 128.
struct DecQ8_0 {
  static constexpr int kSub = 1, kBytes = 34, kZero = 128, kUMax = 255;
  static constexpr bool kHasMin = false, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float*) { dw[0] = x86_h2f(b); }
  static __m256i quants(const uint8_t* b, int) {
    return _mm256_xor_si256(x86_load256(b + 2), _mm256_set1_epi8(static_cast<char>(0x80)));
  }
};

// Q4_K: value = d*sc_j*q - dmin*mn_j per 32-element sub-block j.
struct DecQ4_K {
  static constexpr int kSub = 8, kBytes = 144, kZero = 0, kUMax = 15;
  static constexpr bool kHasMin = true, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float* m) {
    const __m128i sm = x86_k_scales_mins(b + 4);
    const __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm));
    const __m256 mn = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8)));
    _mm256_storeu_ps(dw, _mm256_mul_ps(sc, _mm256_set1_ps(x86_h2f(b))));
    _mm256_storeu_ps(m, _mm256_mul_ps(mn, _mm256_set1_ps(-x86_h2f(b + 2))));
  }
  static __m256i quants(const uint8_t* b, int j) {
    const __m256i x = x86_load256(b + 16 + 32 * (j / 2));
    const __m256i y = (j & 1) ? _mm256_srli_epi16(x, 4) : x;
    return _mm256_and_si256(y, _mm256_set1_epi8(0x0f));
  }
};

struct DecQ5_K {
  static constexpr int kSub = 8, kBytes = 176, kZero = 0, kUMax = 31;
  static constexpr bool kHasMin = true, kHalfScales = false;
  static void scales(const uint8_t* b, float* dw, float* m) { DecQ4_K::scales(b, dw, m); }
  static __m256i quants(const uint8_t* b, int j) {
    const __m256i x = x86_load256(b + 48 + 32 * (j / 2));
    const __m256i y = (j & 1) ? _mm256_srli_epi16(x, 4) : x;
    const __m256i lo = _mm256_and_si256(y, _mm256_set1_epi8(0x0f));
    return _mm256_or_si256(lo, x86_bit_to_bit4(x86_load256(b + 16), j));
  }
};

// Q6_K: u = 6-bit q (0..63), zero point 32, one scale per 16 elements.
struct DecQ6_K {
  static constexpr int kSub = 8, kBytes = 210, kZero = 32, kUMax = 63;
  static constexpr bool kHasMin = false, kHalfScales = true;
  static void scales(const uint8_t* b, float* dw, float*) {
    const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 192));
    const __m256 d = _mm256_set1_ps(x86_h2f(b + 208));
    _mm256_storeu_ps(dw, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sc))));
    _mm256_storeu_ps(
        dw + 8, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sc, 8)))));
  }
  static __m256i quants(const uint8_t* b, int j) {
    const int h = j / 4, g = j % 4;
    const __m256i lq = x86_load256(b + 64 * h + 32 * (g & 1));
    const __m256i lo =
        _mm256_and_si256(g < 2 ? lq : _mm256_srli_epi16(lq, 4), _mm256_set1_epi8(0x0f));
    const __m256i hq = x86_load256(b + 128 + 32 * h);
    const __m256i hs = g < 2 ? _mm256_sll_epi16(hq, _mm_cvtsi32_si128(4 - 2 * g))
                             : _mm256_srl_epi16(hq, _mm_cvtsi32_si128(2 * g - 4));
    return _mm256_or_si256(lo, _mm256_and_si256(hs, _mm256_set1_epi8(0x30)));
  }
};

}  // namespace
}  // namespace impetus::cpu
