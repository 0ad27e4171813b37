// AArch64 NEON kernels (Advanced SIMD + dotprod + fp16): activation
// quantization, dots of float weight rows (F32, F16, BF16) and the KV-cache
// kernels, and the fill function that assembles the NEON table from these,
// the quantized dots (quant_dot_neon.cc) and the GEMM tiles (gemm_neon.cc).
#include "backend/cpu/kernels_neon.h"

namespace impetus::cpu {
namespace neon {
namespace {

// Same arithmetic as the scalar quantize_q8, lane by lane: amax, d = amax/127,
// q = round-half-away(x * (1/d)) (FCVTAS = lround), so the bytes are identical.
void quantize_q8(const float* x, int64_t n, void* out) {
  auto* qs = static_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(static_cast<uint8_t*>(out) + n);
  float* s = d + n / kActBlock;
  for (int64_t b = 0; b < n / kActBlock; ++b) {
    const float* xb = x + b * kActBlock;
    float32x4_t v[8];
    for (int i = 0; i < 8; ++i) v[i] = vld1q_f32(xb + 4 * i);
    float32x4_t m = vabsq_f32(v[0]);
    for (int i = 1; i < 8; ++i) m = vmaxq_f32(m, vabsq_f32(v[i]));
    const float amax = vmaxvq_f32(m);
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32x4_t q[8];
    for (int i = 0; i < 8; ++i) q[i] = vcvtaq_s32_f32(vmulq_n_f32(v[i], id));
    int32x4_t sum = vaddq_s32(vaddq_s32(q[0], q[1]), vaddq_s32(q[2], q[3]));
    sum = vaddq_s32(sum, vaddq_s32(vaddq_s32(q[4], q[5]), vaddq_s32(q[6], q[7])));
    for (int i = 0; i < 2; ++i) {
      const int16x8_t a = vcombine_s16(vqmovn_s32(q[4 * i]), vqmovn_s32(q[4 * i + 1]));
      const int16x8_t c = vcombine_s16(vqmovn_s32(q[4 * i + 2]), vqmovn_s32(q[4 * i + 3]));
      vst1q_s8(qs + b * kActBlock + 16 * i, vcombine_s8(vqmovn_s16(a), vqmovn_s16(c)));
    }
    d[b] = db;
    s[b] = db * static_cast<float>(vaddvq_s32(sum));
  }
}

template <typename L>
float dot_float(int64_t n, const void* w, const float* a) {
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = vfmaq_f32(acc0, L::load4(w, i), vld1q_f32(a + i));
    acc1 = vfmaq_f32(acc1, L::load4(w, i + 4), vld1q_f32(a + i + 4));
    acc2 = vfmaq_f32(acc2, L::load4(w, i + 8), vld1q_f32(a + i + 8));
    acc3 = vfmaq_f32(acc3, L::load4(w, i + 12), vld1q_f32(a + i + 12));
  }
  for (; i + 4 <= n; i += 4) acc0 = vfmaq_f32(acc0, L::load4(w, i), vld1q_f32(a + i));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc0, acc1), vaddq_f32(acc2, acc3)));
  for (; i < n; ++i) sum += L::one(w, i) * a[i];
  return sum;
}

template <typename L>
float vec_dot_float(int64_t n, const void* w, const void* act) {
  return dot_float<L>(n, w, static_cast<const float*>(act));
}

template <typename L>
float kv_dot(int64_t n, const void* k, const float* q) {
  return dot_float<L>(n, k, q);
}

template <typename L>
void kv_axpy(int64_t n, float a, const void* v, float* acc) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    vst1q_f32(acc + i, vfmaq_n_f32(vld1q_f32(acc + i), L::load4(v, i), a));
    vst1q_f32(acc + i + 4, vfmaq_n_f32(vld1q_f32(acc + i + 4), L::load4(v, i + 4), a));
  }
  for (; i + 4 <= n; i += 4) vst1q_f32(acc + i, vfmaq_n_f32(vld1q_f32(acc + i), L::load4(v, i), a));
  for (; i < n; ++i) acc[i] += a * L::one(v, i);
}

}  // namespace
}  // namespace neon

void fill_neon_kernels(KernelTable& t) {
  t.isa = Isa::kNeon;
  t.quantize_q8 = &neon::quantize_q8;
  t.kv_f32 = {&neon::kv_dot<neon::LoadF32>, &neon::kv_axpy<neon::LoadF32>};
  t.kv_f16 = {&neon::kv_dot<neon::LoadF16>, &neon::kv_axpy<neon::LoadF16>};
  t.types[static_cast<uint32_t>(DType::kF32)].vec_dot = &neon::vec_dot_float<neon::LoadF32>;
  t.types[static_cast<uint32_t>(DType::kF16)].vec_dot = &neon::vec_dot_float<neon::LoadF16>;
  t.types[static_cast<uint32_t>(DType::kBF16)].vec_dot = &neon::vec_dot_float<neon::LoadBF16>;
  neon::fill_neon_quant_dots(t);
  neon::fill_neon_gemm(t);
}

}  // namespace impetus::cpu
