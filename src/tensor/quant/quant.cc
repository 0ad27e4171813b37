// Dispatch from a DType to the scalar (de)quantizer of its family
// (quant_legacy.cc, quant_k.cc) and the plain float conversions.
#include "tensor/quant/quant.h"

#include <cstring>

#include "core/check.h"
#include "core/fp16.h"
#include "tensor/quant/quant_internal.h"

namespace impetus {
namespace {

using DequantizeFn = void (*)(const void*, float*, int64_t);
using QuantizeFn = void (*)(const float*, void*, int64_t);

struct Codec {
  DequantizeFn dequantize;
  QuantizeFn quantize;
};

void f32_to_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void f32_from_f32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

template <float (*Convert)(uint16_t)>
void from_16bit(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    dst[i] = Convert(h);
  }
}

template <uint16_t (*Convert)(float)>
void to_16bit(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = Convert(src[i]);
    std::memcpy(p + 2 * i, &h, 2);
  }
}

// The codec for a type, or {nullptr, nullptr} if there is none.
Codec codec(DType type) {
  namespace qi = quant_internal;
  switch (type) {
    case DType::kF32:
      return {f32_to_f32, f32_from_f32};
    case DType::kF16:
      return {from_16bit<f16_to_f32>, to_16bit<f32_to_f16>};
    case DType::kBF16:
      return {from_16bit<bf16_to_f32>, to_16bit<f32_to_bf16>};
    case DType::kQ4_0:
      return {qi::dequantize_q4_0, qi::quantize_q4_0};
    case DType::kQ4_1:
      return {qi::dequantize_q4_1, qi::quantize_q4_1};
    case DType::kQ5_0:
      return {qi::dequantize_q5_0, qi::quantize_q5_0};
    case DType::kQ5_1:
      return {qi::dequantize_q5_1, qi::quantize_q5_1};
    case DType::kQ8_0:
      return {qi::dequantize_q8_0, qi::quantize_q8_0};
    case DType::kQ4_K:
      return {qi::dequantize_q4_k, qi::quantize_q4_k};
    case DType::kQ5_K:
      return {qi::dequantize_q5_k, qi::quantize_q5_k};
    case DType::kQ6_K:
      return {qi::dequantize_q6_k, qi::quantize_q6_k};
    case DType::kQ8_K:
      return {qi::dequantize_q8_k, qi::quantize_q8_k};
    default:
      return {nullptr, nullptr};
  }
}

void check_row(DType type, int64_t n) {
  IMP_CHECK(n >= 0 && n % dtype_block_size(type) == 0, "row of ", n,
            " elements is not a multiple of the ", dtype_name(type), " block size");
}

}  // namespace

bool can_dequantize(DType type) { return codec(type).dequantize != nullptr; }
bool can_quantize(DType type) { return codec(type).quantize != nullptr; }

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  const Codec c = codec(type);
  IMP_CHECK(c.dequantize != nullptr, "no dequantizer for ", dtype_name(type));
  check_row(type, n);
  c.dequantize(src, dst, n);
}

void quantize_row(DType type, const float* src, void* dst, int64_t n) {
  const Codec c = codec(type);
  IMP_CHECK(c.quantize != nullptr, "no quantizer for ", dtype_name(type));
  check_row(type, n);
  c.quantize(src, dst, n);
}

}  // namespace impetus
