// NEON dots of one quantized weight row with one Q8 activation row (the
// decode path): int8 dot products per 32-element block with vdotq_s32, the
// block scales applied in float on four lanes at once. Same semantics as the
// scalar kernels (kernels_scalar.cc); only the float summation order differs.
#include "backend/cpu/kernels_neon.h"

namespace impetus::cpu::neon {
namespace {

// Legacy blocks: sum_b d_w*d_a*isum_b + m_w*s_a, two blocks per step.
template <typename T>
float dot_legacy(int64_t n, const void* w, const void* act) {
  const auto* blocks = static_cast<const typename T::Block*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  const int64_t nb = n / kQK;
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
  float msum = 0.0f;
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    int8x16_t w0, w1, v0, v1;
    T::quants(blocks[b], w0, w1);
    T::quants(blocks[b + 1], v0, v1);
    const int32x4_t i0 = dot32(w0, w1, qa + b * kQK);
    const int32x4_t i1 = dot32(v0, v1, qa + (b + 1) * kQK);
    acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(i0), T::d(blocks[b]) * da[b]);
    acc1 = vfmaq_n_f32(acc1, vcvtq_f32_s32(i1), T::d(blocks[b + 1]) * da[b + 1]);
    if constexpr (T::kHasMin) msum += T::m(blocks[b]) * sa[b] + T::m(blocks[b + 1]) * sa[b + 1];
  }
  for (; b < nb; ++b) {
    int8x16_t w0, w1;
    T::quants(blocks[b], w0, w1);
    acc0 = vfmaq_n_f32(acc0, vcvtq_f32_s32(dot32(w0, w1, qa + b * kQK)), T::d(blocks[b]) * da[b]);
    if constexpr (T::kHasMin) msum += T::m(blocks[b]) * sa[b];
  }
  return vaddvq_f32(vaddq_f32(acc0, acc1)) + msum;
}

// One Q4_K/Q5_K super-block's per-sub-block integer sums: isum[0] holds
// sub-blocks 0..3, isum[1] sub-blocks 4..7.
template <bool kFive, typename Block>
void q45k_isums(const Block& blk, const int8_t* qa, int32x4_t isum[2]) {
  uint8x16_t h0 = vdupq_n_u8(0), h1 = h0;
  if constexpr (kFive) {
    h0 = vld1q_u8(blk.qh);
    h1 = vld1q_u8(blk.qh + 16);
  }
  int32x4_t part[8];
  for (int c = 0; c < 4; ++c) {
    int8x16_t q[4];
    if constexpr (kFive) {
      q5k_chunk(blk.qs + 32 * c, h0, h1, q);
      h0 = vshrq_n_u8(h0, 2);
      h1 = vshrq_n_u8(h1, 2);
    } else {
      q4k_chunk(blk.qs + 32 * c, q);
    }
    part[2 * c] = dot32(q[0], q[1], qa + 64 * c);
    part[2 * c + 1] = dot32(q[2], q[3], qa + 64 * c + 32);
  }
  isum[0] = reduce4(part[0], part[1], part[2], part[3]);
  isum[1] = reduce4(part[4], part[5], part[6], part[7]);
}

// value = d*sc_j*q - dmin*m_j: dot = sum_j d*sc_j*da_j*isum_j - dmin*m_j*sa_j.
template <bool kFive, typename Block>
float dot_q45_k(int64_t n, const void* w, const void* act) {
  const auto* blocks = static_cast<const Block*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  float32x4_t acc = vdupq_n_f32(0.0f), macc = acc;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const Block& blk = blocks[b];
    uint8x8_t sc8, mn8;
    k_scales_mins(blk.scales, sc8, mn8);
    float32x4_t sc[2], mn[2];
    u8x8_to_f32(sc8, sc[0], sc[1]);
    u8x8_to_f32(mn8, mn[0], mn[1]);
    int32x4_t isum[2];
    q45k_isums<kFive>(blk, qa + b * kQK_K, isum);
    const float d = h2f(blk.d), dmin = h2f(blk.dmin);
    for (int h = 0; h < 2; ++h) {
      const float32x4_t da4 = vld1q_f32(da + b * 8 + 4 * h);
      const float32x4_t sa4 = vld1q_f32(sa + b * 8 + 4 * h);
      acc = vfmaq_n_f32(acc, vmulq_f32(vmulq_f32(da4, sc[h]), vcvtq_f32_s32(isum[h])), d);
      macc = vfmaq_n_f32(macc, vmulq_f32(mn[h], sa4), dmin);
    }
  }
  return vaddvq_f32(vsubq_f32(acc, macc));
}

// Q6_K: activation block j covers the 16-element sub-blocks 2j and 2j+1;
// isum_j = sc[2j]*isum(2j) + sc[2j+1]*isum(2j+1) exactly in int32.
float dot_q6_k(int64_t n, const void* w, const void* act) {
  const auto* blocks = static_cast<const BlockQ6_K*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  float32x4_t acc = vdupq_n_f32(0.0f);
  const int32x4_t zero = vdupq_n_s32(0);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const BlockQ6_K& blk = blocks[b];
    const float d = h2f(blk.d);
    for (int h = 0; h < 2; ++h) {
      int8x16_t q[8];
      q6k_half(blk.ql + 64 * h, blk.qh + 32 * h, q);
      const int8_t* a = qa + b * kQK_K + 128 * h;
      const int8_t* sc = blk.scales + 8 * h;
      int32x4_t part[4];
      for (int g = 0; g < 4; ++g) {
        const int32x4_t lo = vdotq_s32(zero, q[2 * g], vld1q_s8(a + 32 * g));
        const int32x4_t hi = vdotq_s32(zero, q[2 * g + 1], vld1q_s8(a + 32 * g + 16));
        part[g] = vmlaq_n_s32(vmulq_n_s32(lo, sc[2 * g]), hi, sc[2 * g + 1]);
      }
      const float32x4_t isum = vcvtq_f32_s32(reduce4(part[0], part[1], part[2], part[3]));
      acc = vfmaq_n_f32(acc, vmulq_f32(vld1q_f32(da + b * 8 + 4 * h), isum), d);
    }
  }
  return vaddvq_f32(acc);
}

void set_dot(KernelTable& t, DType type, VecDotFn fn) {
  t.types[static_cast<uint32_t>(type)].vec_dot = fn;
}

}  // namespace

void fill_neon_quant_dots(KernelTable& t) {
  set_dot(t, DType::kQ4_0, &dot_legacy<Q4_0Traits>);
  set_dot(t, DType::kQ4_1, &dot_legacy<Q4_1Traits>);
  set_dot(t, DType::kQ5_0, &dot_legacy<Q5_0Traits>);
  set_dot(t, DType::kQ5_1, &dot_legacy<Q5_1Traits>);
  set_dot(t, DType::kQ8_0, &dot_legacy<Q8_0Traits>);
  set_dot(t, DType::kQ4_K, &dot_q45_k<false, BlockQ4_K>);
  set_dot(t, DType::kQ5_K, &dot_q45_k<true, BlockQ5_K>);
  set_dot(t, DType::kQ6_K, &dot_q6_k);
}

}  // namespace impetus::cpu::neon
