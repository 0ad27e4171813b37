// Scalar kernels: the reference semantics of every CPU matrix kernel. Integer
// dot products per block, scaled in float: exactly what the SIMD levels do,
// in plain loops.
#include <cmath>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "core/fp16.h"
#include "tensor/quant/blocks.h"

namespace impetus::cpu {
namespace {

void quantize_q8(const float* x, int64_t n, void* out) {
  auto* qs = static_cast<int8_t*>(out);
  auto* d = reinterpret_cast<float*>(static_cast<uint8_t*>(out) + n);
  float* s = d + n / kActBlock;
  for (int64_t b = 0; b < n / kActBlock; ++b) {
    const float* xb = x + b * kActBlock;
    float amax = 0.0f;
    for (int i = 0; i < kActBlock; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int sum = 0;
    for (int i = 0; i < kActBlock; ++i) {
      const int q = static_cast<int>(std::lround(xb[i] * id));
      qs[b * kActBlock + i] = static_cast<int8_t>(q);
      sum += q;
    }
    d[b] = db;
    s[b] = db * static_cast<float>(sum);
  }
}

template <typename Load>
float dot_float_weights(int64_t n, Load load, const void* act) {
  const auto* a = static_cast<const float*>(act);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += load(i) * a[i];
  return sum;
}

float dot_f32(int64_t n, const void* w, const void* act) {
  const auto* wf = static_cast<const float*>(w);
  return dot_float_weights(n, [wf](int64_t i) { return wf[i]; }, act);
}
float dot_f16(int64_t n, const void* w, const void* act) {
  const auto* wh = static_cast<const uint16_t*>(w);
  return dot_float_weights(n, [wh](int64_t i) { return f16_to_f32(wh[i]); }, act);
}
float dot_bf16(int64_t n, const void* w, const void* act) {
  const auto* wh = static_cast<const uint16_t*>(w);
  return dot_float_weights(n, [wh](int64_t i) { return bf16_to_f32(wh[i]); }, act);
}

// Legacy 32-element blocks: weight value = d * q + m (m = 0 for Q4_0/Q5_0/Q8_0,
// whose q is already centred). dot = sum_b d_w*d_a*isum_b + m_w*s_a.
template <typename Block, typename Quants>
float dot_legacy(int64_t n, const void* w, const void* act, Quants quants) {
  const auto* blocks = static_cast<const Block*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK; ++b) {
    int q[kQK];
    float dw = 0.0f, mw = 0.0f;
    quants(blocks[b], q, &dw, &mw);
    int isum = 0;
    for (int i = 0; i < kQK; ++i) isum += q[i] * qa[b * kQK + i];
    sum += dw * da[b] * static_cast<float>(isum) + mw * sa[b];
  }
  return sum;
}

float dot_q4_0(int64_t n, const void* w, const void* act) {
  return dot_legacy<BlockQ4_0>(n, w, act, [](const BlockQ4_0& b, int* q, float* d, float* m) {
    for (int i = 0; i < 16; ++i) {
      q[i] = (b.qs[i] & 0x0f) - 8;
      q[i + 16] = (b.qs[i] >> 4) - 8;
    }
    *d = f16_to_f32(b.d);
    *m = 0.0f;
  });
}
float dot_q4_1(int64_t n, const void* w, const void* act) {
  return dot_legacy<BlockQ4_1>(n, w, act, [](const BlockQ4_1& b, int* q, float* d, float* m) {
    for (int i = 0; i < 16; ++i) {
      q[i] = b.qs[i] & 0x0f;
      q[i + 16] = b.qs[i] >> 4;
    }
    *d = f16_to_f32(b.d);
    *m = f16_to_f32(b.m);
  });
}
template <typename Block>
void q5_quants(const Block& b, int* q, int offset) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  for (int i = 0; i < 16; ++i) {
    q[i] = ((b.qs[i] & 0x0f) | static_cast<int>(((qh >> i) & 1u) << 4)) - offset;
    q[i + 16] = ((b.qs[i] >> 4) | static_cast<int>(((qh >> (i + 16)) & 1u) << 4)) - offset;
  }
}
float dot_q5_0(int64_t n, const void* w, const void* act) {
  return dot_legacy<BlockQ5_0>(n, w, act, [](const BlockQ5_0& b, int* q, float* d, float* m) {
    q5_quants(b, q, 16);
    *d = f16_to_f32(b.d);
    *m = 0.0f;
  });
}
float dot_q5_1(int64_t n, const void* w, const void* act) {
  return dot_legacy<BlockQ5_1>(n, w, act, [](const BlockQ5_1& b, int* q, float* d, float* m) {
    q5_quants(b, q, 0);
    *d = f16_to_f32(b.d);
    *m = f16_to_f32(b.m);
  });
}
float dot_q8_0(int64_t n, const void* w, const void* act) {
  return dot_legacy<BlockQ8_0>(n, w, act, [](const BlockQ8_0& b, int* q, float* d, float* m) {
    for (int i = 0; i < kQK; ++i) q[i] = b.qs[i];
    *d = f16_to_f32(b.d);
    *m = 0.0f;
  });
}

// K-quants: 256-element super-blocks of 8 sub-blocks of 32 (Q4_K, Q5_K), each
// with its own 6-bit scale and min; activation block j covers sub-block j.
// value = d*sc_j*q - dmin*m_j  =>  dot_j = d_a_j*(d*sc_j*isum_j) - dmin*m_j*s_a_j.
template <typename Block>
float dot_q45_k(int64_t n, const void* w, const void* act, bool five_bits) {
  const auto* blocks = static_cast<const Block*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  const float* sa = act_q8_s(act, n);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const Block& blk = blocks[b];
    const float d = f16_to_f32(blk.d), dmin = f16_to_f32(blk.dmin);
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      k_scale_min(j, blk.scales, &sc, &m);
      const uint8_t* qs = blk.qs + 32 * (j / 2);
      const int64_t ab = b * 8 + j;  // activation block
      int isum = 0;
      for (int l = 0; l < 32; ++l) {
        int q = (j % 2 == 0) ? (qs[l] & 0x0f) : (qs[l] >> 4);
        if (five_bits) {
          if constexpr (sizeof(Block) == sizeof(BlockQ5_K)) {
            q |= ((reinterpret_cast<const BlockQ5_K&>(blk).qh[l] >> j) & 1) << 4;
          }
        }
        isum += q * qa[ab * 32 + l];
      }
      sum += da[ab] * (d * static_cast<float>(sc) * static_cast<float>(isum)) -
             dmin * static_cast<float>(m) * sa[ab];
    }
  }
  return sum;
}
float dot_q4_k(int64_t n, const void* w, const void* act) {
  return dot_q45_k<BlockQ4_K>(n, w, act, false);
}
float dot_q5_k(int64_t n, const void* w, const void* act) {
  return dot_q45_k<BlockQ5_K>(n, w, act, true);
}

// Q6_K: 16 sub-blocks of 16 with int8 scales; activation block j covers
// sub-blocks 2j and 2j+1. value = d*sc*(q - 32).
float dot_q6_k(int64_t n, const void* w, const void* act) {
  const auto* blocks = static_cast<const BlockQ6_K*>(w);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  float sum = 0.0f;
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    const BlockQ6_K& blk = blocks[b];
    int q[kQK_K];
    for (int h = 0; h < 2; ++h) {
      for (int g = 0; g < 4; ++g) {
        for (int l = 0; l < 32; ++l) {
          const uint8_t lo = blk.ql[64 * h + l + 32 * (g & 1)];
          const int low = g < 2 ? (lo & 0x0f) : (lo >> 4);
          const int high = (blk.qh[32 * h + l] >> (2 * g)) & 3;
          q[128 * h + 32 * g + l] = (low | (high << 4)) - 32;
        }
      }
    }
    const float d = f16_to_f32(blk.d);
    for (int j = 0; j < 8; ++j) {
      const int64_t ab = b * 8 + j;
      int isum0 = 0, isum1 = 0;
      for (int l = 0; l < 16; ++l) {
        isum0 += q[32 * j + l] * qa[ab * 32 + l];
        isum1 += q[32 * j + 16 + l] * qa[ab * 32 + 16 + l];
      }
      const int isum = blk.scales[2 * j] * isum0 + blk.scales[2 * j + 1] * isum1;
      sum += da[ab] * d * static_cast<float>(isum);
    }
  }
  return sum;
}

float kv_dot_f32(int64_t n, const void* k, const float* q) {
  const auto* kf = static_cast<const float*>(k);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += kf[i] * q[i];
  return s;
}
float kv_dot_f16(int64_t n, const void* k, const float* q) {
  const auto* kh = static_cast<const uint16_t*>(k);
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) s += f16_to_f32(kh[i]) * q[i];
  return s;
}
void kv_axpy_f32(int64_t n, float a, const void* v, float* acc) {
  const auto* vf = static_cast<const float*>(v);
  for (int64_t i = 0; i < n; ++i) acc[i] += a * vf[i];
}
void kv_axpy_f16(int64_t n, float a, const void* v, float* acc) {
  const auto* vh = static_cast<const uint16_t*>(v);
  for (int64_t i = 0; i < n; ++i) acc[i] += a * f16_to_f32(vh[i]);
}

void set(KernelTable& t, DType type, ActFormat act, VecDotFn dot) {
  t.types[static_cast<uint32_t>(type)] = TypeKernels{act, dot, nullptr};
}

}  // namespace

void fill_scalar_kernels(KernelTable& t) {
  t.isa = Isa::kScalar;
  t.quantize_q8 = &quantize_q8;
  t.kv_f32 = {&kv_dot_f32, &kv_axpy_f32};
  t.kv_f16 = {&kv_dot_f16, &kv_axpy_f16};
  set(t, DType::kF32, ActFormat::kF32, &dot_f32);
  set(t, DType::kF16, ActFormat::kF32, &dot_f16);
  set(t, DType::kBF16, ActFormat::kF32, &dot_bf16);
  set(t, DType::kQ4_0, ActFormat::kQ8, &dot_q4_0);
  set(t, DType::kQ4_1, ActFormat::kQ8, &dot_q4_1);
  set(t, DType::kQ5_0, ActFormat::kQ8, &dot_q5_0);
  set(t, DType::kQ5_1, ActFormat::kQ8, &dot_q5_1);
  set(t, DType::kQ8_0, ActFormat::kQ8, &dot_q8_0);
  set(t, DType::kQ4_K, ActFormat::kQ8, &dot_q4_k);
  set(t, DType::kQ5_K, ActFormat::kQ8, &dot_q5_k);
  set(t, DType::kQ6_K, ActFormat::kQ8, &dot_q6_k);
}

}  // namespace impetus::cpu
