// Pieces shared by the per-family (de)quantizer files behind quant.h: the
// per-type row functions that quant.cc dispatches to, and small numeric
// helpers. Not for use outside src/tensor/quant/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/fp16.h"

namespace impetus::quant_internal {

// Largest finite half float.
inline constexpr float kMaxHalf = 65504.0f;

// f32 -> f16 bits, clamping magnitudes beyond the half range to +-65504 so a
// quantizer never stores an infinite scale.
inline uint16_t f16_sat(float f) { return f32_to_f16(std::clamp(f, -kMaxHalf, kMaxHalf)); }

// Copies block i of type B out of a possibly unaligned row.
template <typename B>
inline B load_block(const void* row, int64_t i) {
  B b;
  std::memcpy(&b, static_cast<const uint8_t*>(row) + i * static_cast<int64_t>(sizeof(B)),
              sizeof(B));
  return b;
}

template <typename B>
inline void store_block(void* row, int64_t i, const B& b) {
  std::memcpy(static_cast<uint8_t*>(row) + i * static_cast<int64_t>(sizeof(B)), &b, sizeof(B));
}

// Clamps v to [lo, hi] and converts; NaN-free inputs assumed (callers clamp
// first, so the float -> int conversion is always in range).
inline int clamp_to_int(float v, int lo, int hi) {
  return static_cast<int>(std::clamp(v, static_cast<float>(lo), static_cast<float>(hi)));
}

// Round half to even (llama.cpp's nearest_int), clamped to [lo, hi].
inline int nearest_clamped(double v, int lo, int hi) {
  return static_cast<int>(
      std::nearbyint(std::clamp(v, static_cast<double>(lo), static_cast<double>(hi))));
}

// Legacy block types (quant_legacy.cc); n is the element count.
void dequantize_q4_0(const void* src, float* dst, int64_t n);
void dequantize_q4_1(const void* src, float* dst, int64_t n);
void dequantize_q5_0(const void* src, float* dst, int64_t n);
void dequantize_q5_1(const void* src, float* dst, int64_t n);
void dequantize_q8_0(const void* src, float* dst, int64_t n);
void quantize_q4_0(const float* src, void* dst, int64_t n);
void quantize_q4_1(const float* src, void* dst, int64_t n);
void quantize_q5_0(const float* src, void* dst, int64_t n);
void quantize_q5_1(const float* src, void* dst, int64_t n);
void quantize_q8_0(const float* src, void* dst, int64_t n);

// K-quants (quant_k.cc).
void dequantize_q4_k(const void* src, float* dst, int64_t n);
void dequantize_q5_k(const void* src, float* dst, int64_t n);
void dequantize_q6_k(const void* src, float* dst, int64_t n);
void dequantize_q8_k(const void* src, float* dst, int64_t n);
void quantize_q4_k(const float* src, void* dst, int64_t n);
void quantize_q5_k(const float* src, void* dst, int64_t n);
void quantize_q6_k(const float* src, void* dst, int64_t n);
void quantize_q8_k(const float* src, void* dst, int64_t n);

}  // namespace impetus::quant_internal
