// Internal to the AArch64 NEON kernels (the *_neon.cc files, built with
// -march=armv8.2-a+dotprod+fp16): register-level unpacking of every weight
// block type into int8 lanes, shared by the vector dots and the GEMM tiles,
// and the fill functions each of those files contributes to the NEON table.
// Never include this header from a file built for another architecture.
#pragma once

#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "tensor/quant/blocks.h"

// Fully unrolls a loop of compile-time trip count (register blocks: keeps
// the accumulator arrays in registers at -O2).
#define IMP_NEON_UNROLL _Pragma("GCC unroll 16")

namespace impetus::cpu::neon {

// IEEE half -> float by the FP unit (exact, same value as f16_to_f32).
inline float h2f(uint16_t h) {
  __fp16 x;
  std::memcpy(&x, &h, sizeof(x));
  return static_cast<float>(x);
}

// Float weight loaders: four stored elements from element i as float lanes
// (load4), or one element (one) for the tails.
struct LoadF32 {
  static float32x4_t load4(const void* w, int64_t i) {
    return vld1q_f32(static_cast<const float*>(w) + i);
  }
  static float one(const void* w, int64_t i) { return static_cast<const float*>(w)[i]; }
};
struct LoadF16 {
  static float32x4_t load4(const void* w, int64_t i) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(static_cast<const uint16_t*>(w) + i)));
  }
  static float one(const void* w, int64_t i) { return h2f(static_cast<const uint16_t*>(w)[i]); }
};
struct LoadBF16 {
  static float32x4_t load4(const void* w, int64_t i) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(static_cast<const uint16_t*>(w) + i), 16));
  }
  static float one(const void* w, int64_t i) {
    const uint32_t u = static_cast<uint32_t>(static_cast<const uint16_t*>(w)[i]) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

// Integer dot of 32 int8 weights (two vectors) with 32 int8 activations,
// left in four int32 lanes (sum them for the block's total).
inline int32x4_t dot32(int8x16_t w0, int8x16_t w1, const int8_t* a) {
  return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, vld1q_s8(a)), w1, vld1q_s8(a + 16));
}

// Four int32x4 partial sums -> one vector of their four totals, in order.
inline int32x4_t reduce4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
  return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

// Eight unsigned bytes -> two float vectors (lanes 0..3, 4..7).
inline void u8x8_to_f32(uint8x8_t v, float32x4_t& lo, float32x4_t& hi) {
  const uint16x8_t w = vmovl_u8(v);
  lo = vcvtq_f32_u32(vmovl_u16(vget_low_u16(w)));
  hi = vcvtq_f32_u32(vmovl_u16(vget_high_u16(w)));
}

// 16 packed bytes -> low nibbles (elements 0..15) and high nibbles (16..31).
inline void nibbles(const uint8_t* qs, uint8x16_t& lo, uint8x16_t& hi) {
  const uint8x16_t v = vld1q_u8(qs);
  lo = vandq_u8(v, vdupq_n_u8(0x0f));
  hi = vshrq_n_u8(v, 4);
}

// Bit 4 of each of 32 elements from a legacy Q5 block's 32-bit qh:
// lo for elements 0..15, hi for 16..31 (each lane 0 or 0x10).
inline void q5_bits(const uint8_t* qh, uint8x16_t& lo, uint8x16_t& hi) {
  static const uint8_t kIdx[32] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                   2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
  static const uint8_t kBit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  uint32_t h;
  std::memcpy(&h, qh, 4);
  const uint8x16_t hv = vreinterpretq_u8_u32(vdupq_n_u32(h));
  const uint8x16_t bit = vld1q_u8(kBit), b4 = vdupq_n_u8(0x10);
  lo = vandq_u8(vtstq_u8(vqtbl1q_u8(hv, vld1q_u8(kIdx)), bit), b4);
  hi = vandq_u8(vtstq_u8(vqtbl1q_u8(hv, vld1q_u8(kIdx + 16)), bit), b4);
}

inline int8x16_t s8(uint8x16_t v) { return vreinterpretq_s8_u8(v); }
inline int8x16_t s8_minus(uint8x16_t v, int8_t off) { return vsubq_s8(s8(v), vdupq_n_s8(off)); }

// Legacy 32-element block types: quants(b, lo, hi) gives elements 0..15 and
// 16..31 as int8 (centred where the type is), value = d * q + m.
struct Q4_0Traits {
  using Block = BlockQ4_0;
  static constexpr bool kHasMin = false;
  static void quants(const Block& b, int8x16_t& lo, int8x16_t& hi) {
    uint8x16_t l, h;
    nibbles(b.qs, l, h);
    lo = s8_minus(l, 8);
    hi = s8_minus(h, 8);
  }
  static float d(const Block& b) { return h2f(b.d); }
  static float m(const Block&) { return 0.0f; }
};
struct Q4_1Traits {
  using Block = BlockQ4_1;
  static constexpr bool kHasMin = true;
  static void quants(const Block& b, int8x16_t& lo, int8x16_t& hi) {
    uint8x16_t l, h;
    nibbles(b.qs, l, h);
    lo = s8(l);
    hi = s8(h);
  }
  static float d(const Block& b) { return h2f(b.d); }
  static float m(const Block& b) { return h2f(b.m); }
};
struct Q5_0Traits {
  using Block = BlockQ5_0;
  static constexpr bool kHasMin = false;
  static void quants(const Block& b, int8x16_t& lo, int8x16_t& hi) {
    uint8x16_t l, h, bl, bh;
    nibbles(b.qs, l, h);
    q5_bits(b.qh, bl, bh);
    lo = s8_minus(vorrq_u8(l, bl), 16);
    hi = s8_minus(vorrq_u8(h, bh), 16);
  }
  static float d(const Block& b) { return h2f(b.d); }
  static float m(const Block&) { return 0.0f; }
};
struct Q5_1Traits {
  using Block = BlockQ5_1;
  static constexpr bool kHasMin = true;
  static void quants(const Block& b, int8x16_t& lo, int8x16_t& hi) {
    uint8x16_t l, h, bl, bh;
    nibbles(b.qs, l, h);
    q5_bits(b.qh, bl, bh);
    lo = s8(vorrq_u8(l, bl));
    hi = s8(vorrq_u8(h, bh));
  }
  static float d(const Block& b) { return h2f(b.d); }
  static float m(const Block& b) { return h2f(b.m); }
};
struct Q8_0Traits {
  using Block = BlockQ8_0;
  static constexpr bool kHasMin = false;
  static void quants(const Block& b, int8x16_t& lo, int8x16_t& hi) {
    lo = vld1q_s8(b.qs);
    hi = vld1q_s8(b.qs + 16);
  }
  static float d(const Block& b) { return h2f(b.d); }
  static float m(const Block&) { return 0.0f; }
};

// Q4_K/Q5_K 6-bit scales and mins of the 8 sub-blocks, one byte each
// (same unpacking as k_scale_min, four sub-blocks per 32-bit word).
inline void k_scales_mins(const uint8_t* s, uint8x8_t& sc, uint8x8_t& mn) {
  uint32_t a, b, c;
  std::memcpy(&a, s, 4);
  std::memcpy(&b, s + 4, 4);
  std::memcpy(&c, s + 8, 4);
  const uint32_t sc_lo = a & 0x3f3f3f3fu, mn_lo = b & 0x3f3f3f3fu;
  const uint32_t sc_hi = (c & 0x0f0f0f0fu) | ((a >> 2) & 0x30303030u);
  const uint32_t mn_hi = ((c >> 4) & 0x0f0f0f0fu) | ((b >> 2) & 0x30303030u);
  sc = vcreate_u8(static_cast<uint64_t>(sc_hi) << 32 | sc_lo);
  mn = vcreate_u8(static_cast<uint64_t>(mn_hi) << 32 | mn_lo);
}

// Chunk c (0..3) of a Q4_K/Q5_K super-block: q[0], q[1] = sub-block 2c
// (elements 0..15, 16..31), q[2], q[3] = sub-block 2c+1. For Q5_K, h0/h1 are
// qh[0..15]/qh[16..31] already shifted right by 2c (the caller advances them).
inline void q4k_chunk(const uint8_t* qs, int8x16_t q[4]) {
  uint8x16_t l0, h0, l1, h1;
  nibbles(qs, l0, h0);
  nibbles(qs + 16, l1, h1);
  q[0] = s8(l0);
  q[1] = s8(l1);
  q[2] = s8(h0);
  q[3] = s8(h1);
}
inline void q5k_chunk(const uint8_t* qs, uint8x16_t h0, uint8x16_t h1, int8x16_t q[4]) {
  const uint8x16_t b4 = vdupq_n_u8(0x10);
  uint8x16_t l0, u0, l1, u1;
  nibbles(qs, l0, u0);
  nibbles(qs + 16, l1, u1);
  q[0] = s8(vorrq_u8(l0, vandq_u8(vshlq_n_u8(h0, 4), b4)));
  q[1] = s8(vorrq_u8(l1, vandq_u8(vshlq_n_u8(h1, 4), b4)));
  q[2] = s8(vorrq_u8(u0, vandq_u8(vshlq_n_u8(h0, 3), b4)));
  q[3] = s8(vorrq_u8(u1, vandq_u8(vshlq_n_u8(h1, 3), b4)));
}

// Half h of a Q6_K super-block (ql = blk.ql + 64h, qh = blk.qh + 32h):
// q[2g], q[2g+1] = elements 32g+0..15 and 32g+16..31 of the half, minus 32.
inline void q6k_half(const uint8_t* ql, const uint8_t* qh, int8x16_t q[8]) {
  const uint8x16_t m4 = vdupq_n_u8(0x0f), m30 = vdupq_n_u8(0x30);
  const uint8x16_t l0 = vld1q_u8(ql), l1 = vld1q_u8(ql + 16);
  const uint8x16_t l2 = vld1q_u8(ql + 32), l3 = vld1q_u8(ql + 48);
  const uint8x16_t h0 = vld1q_u8(qh), h1 = vld1q_u8(qh + 16);
  q[0] = s8_minus(vorrq_u8(vandq_u8(l0, m4), vandq_u8(vshlq_n_u8(h0, 4), m30)), 32);
  q[1] = s8_minus(vorrq_u8(vandq_u8(l1, m4), vandq_u8(vshlq_n_u8(h1, 4), m30)), 32);
  q[2] = s8_minus(vorrq_u8(vandq_u8(l2, m4), vandq_u8(vshlq_n_u8(h0, 2), m30)), 32);
  q[3] = s8_minus(vorrq_u8(vandq_u8(l3, m4), vandq_u8(vshlq_n_u8(h1, 2), m30)), 32);
  q[4] = s8_minus(vorrq_u8(vshrq_n_u8(l0, 4), vandq_u8(h0, m30)), 32);
  q[5] = s8_minus(vorrq_u8(vshrq_n_u8(l1, 4), vandq_u8(h1, m30)), 32);
  q[6] = s8_minus(vorrq_u8(vshrq_n_u8(l2, 4), vandq_u8(vshrq_n_u8(h0, 2), m30)), 32);
  q[7] = s8_minus(vorrq_u8(vshrq_n_u8(l3, 4), vandq_u8(vshrq_n_u8(h1, 2), m30)), 32);
}

// Contributions of the other NEON files to the table.
void fill_neon_quant_dots(KernelTable& t);  // quant_dot_neon.cc
void fill_neon_gemm(KernelTable& t);        // gemm_neon.cc

}  // namespace impetus::cpu::neon
