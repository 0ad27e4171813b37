// Scalar (de)quantizers for the legacy 32-element block types Q4_0, Q4_1,
// Q5_0, Q5_1 and Q8_0. The quantizers follow the rounding rules of llama.cpp's
// reference quantizers (quantize_row_*_ref), so for ordinary inputs they
// produce the same bytes. Beyond that they stay finite for any finite input:
// scales beyond the half range saturate at 65504, and a scale that rounds to
// a zero half makes the whole block zero.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "tensor/quant/blocks.h"
#include "tensor/quant/quant_internal.h"

namespace impetus::quant_internal {
namespace {

// Scale bits to store and the inverse scale to quantize with. `d` is the
// unrounded scale; the inverse is taken from it (as llama.cpp does) unless
// the stored half is zero, in which case every quant encodes zero.
struct Scale {
  uint16_t bits;
  float inv;
};

Scale make_scale(float d) {
  const uint16_t bits = f16_sat(d);
  d = std::clamp(d, -kMaxHalf, kMaxHalf);
  const float inv = (f16_to_f32(bits) != 0.0f && d != 0.0f) ? 1.0f / d : 0.0f;
  return {bits, inv};
}

// The value of largest magnitude (first one on ties), with its sign.
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void min_max(const float* x, int n, float* lo, float* hi) {
  *lo = x[0];
  *hi = x[0];
  for (int j = 1; j < n; ++j) {
    *lo = std::min(*lo, x[j]);
    *hi = std::max(*hi, x[j]);
  }
}

uint32_t load_qh(const uint8_t* qh) {
  uint32_t v;
  std::memcpy(&v, qh, 4);
  return v;
}

// Bit 4 of elements j and j + 16 from the 32-bit qh word.
int high_bit_lo(uint32_t qh, int j) { return static_cast<int>((qh >> j) & 1u) << 4; }
int high_bit_hi(uint32_t qh, int j) { return static_cast<int>((qh >> (j + 16)) & 1u) << 4; }

}  // namespace

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const auto b = load_block<BlockQ4_0>(src, i);
    const float d = f16_to_f32(b.d);
    float* y = dst + i * kQK;
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((b.qs[j] & 0x0f) - 8) * d;
      y[j + kQK / 2] = static_cast<float>((b.qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const auto b = load_block<BlockQ4_1>(src, i);
    const float d = f16_to_f32(b.d);
    const float m = f16_to_f32(b.m);
    float* y = dst + i * kQK;
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>(b.qs[j] & 0x0f) * d + m;
      y[j + kQK / 2] = static_cast<float>(b.qs[j] >> 4) * d + m;
    }
  }
}

void dequantize_q5_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const auto b = load_block<BlockQ5_0>(src, i);
    const float d = f16_to_f32(b.d);
    const uint32_t qh = load_qh(b.qh);
    float* y = dst + i * kQK;
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>(((b.qs[j] & 0x0f) | high_bit_lo(qh, j)) - 16) * d;
      y[j + kQK / 2] = static_cast<float>(((b.qs[j] >> 4) | high_bit_hi(qh, j)) - 16) * d;
    }
  }
}

void dequantize_q5_1(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const auto b = load_block<BlockQ5_1>(src, i);
    const float d = f16_to_f32(b.d);
    const float m = f16_to_f32(b.m);
    const uint32_t qh = load_qh(b.qh);
    float* y = dst + i * kQK;
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = static_cast<float>((b.qs[j] & 0x0f) | high_bit_lo(qh, j)) * d + m;
      y[j + kQK / 2] = static_cast<float>((b.qs[j] >> 4) | high_bit_hi(qh, j)) * d + m;
    }
  }
}

void dequantize_q8_0(const void* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const auto b = load_block<BlockQ8_0>(src, i);
    const float d = f16_to_f32(b.d);
    for (int j = 0; j < kQK; ++j) dst[i * kQK + j] = static_cast<float>(b.qs[j]) * d;
  }
}

// Q4_0: d = max / -8 where max is the signed value of largest magnitude, so
// that value maps exactly to q = 0; q = trunc(x / d + 8.5) clamped to 15.
void quantize_q4_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    const Scale s = make_scale(signed_absmax(x, kQK) / -8.0f);
    BlockQ4_0 b{};
    b.d = s.bits;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = clamp_to_int(x[j] * s.inv + 8.5f, 0, 15);
      const int q1 = clamp_to_int(x[j + kQK / 2] * s.inv + 8.5f, 0, 15);
      b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    store_block(dst, i, b);
  }
}

// Q4_1: d = (max - min) / 15, m = min; q = trunc((x - min) / d + 0.5).
void quantize_q4_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float lo, hi;
    min_max(x, kQK, &lo, &hi);
    const Scale s = make_scale((hi - lo) / 15.0f);
    BlockQ4_1 b{};
    b.d = s.bits;
    b.m = f16_sat(lo);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = clamp_to_int((x[j] - lo) * s.inv + 0.5f, 0, 15);
      const int q1 = clamp_to_int((x[j + kQK / 2] - lo) * s.inv + 0.5f, 0, 15);
      b.qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
    store_block(dst, i, b);
  }
}

// Q5_0: as Q4_0 with 5 bits: d = max / -16, q = trunc(x / d + 16.5) <= 31.
void quantize_q5_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    const Scale s = make_scale(signed_absmax(x, kQK) / -16.0f);
    BlockQ5_0 b{};
    b.d = s.bits;
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = clamp_to_int(x[j] * s.inv + 16.5f, 0, 31);
      const int q1 = clamp_to_int(x[j + kQK / 2] * s.inv + 16.5f, 0, 31);
      b.qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kQK / 2);
    }
    std::memcpy(b.qh, &qh, 4);
    store_block(dst, i, b);
  }
}

// Q5_1: as Q4_1 with 5 bits: d = (max - min) / 31.
void quantize_q5_1(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float lo, hi;
    min_max(x, kQK, &lo, &hi);
    const Scale s = make_scale((hi - lo) / 31.0f);
    BlockQ5_1 b{};
    b.d = s.bits;
    b.m = f16_sat(lo);
    uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = clamp_to_int((x[j] - lo) * s.inv + 0.5f, 0, 31);
      const int q1 = clamp_to_int((x[j + kQK / 2] - lo) * s.inv + 0.5f, 0, 31);
      b.qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + kQK / 2);
    }
    std::memcpy(b.qh, &qh, 4);
    store_block(dst, i, b);
  }
}

// Q8_0: d = amax / 127, q = round-half-away(x / d).
void quantize_q8_0(const float* src, void* dst, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    const Scale s = make_scale(amax / 127.0f);
    BlockQ8_0 b{};
    b.d = s.bits;
    for (int j = 0; j < kQK; ++j) {
      b.qs[j] = static_cast<int8_t>(std::round(std::clamp(x[j] * s.inv, -127.0f, 127.0f)));
    }
    store_block(dst, i, b);
  }
}

}  // namespace impetus::quant_internal
