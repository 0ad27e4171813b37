// Scalar reference (de)quantizers: the ground truth that every fast kernel
// (CPU SIMD, CUDA) is tested against. Plain loops, written for clarity.
//
//   dequantize_row(DType::kQ4_0, block_ptr, out_floats, n);   // n % 32 == 0
//   quantize_row(DType::kQ8_0, floats, block_ptr, n);
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace impetus {

// True when quantize_row / dequantize_row handle the type.
bool can_dequantize(DType type);
bool can_quantize(DType type);

// Converts n elements (n a multiple of the block size) of `type` to float.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// Converts n floats to `type`; dst must hold dtype_row_bytes(type, n) bytes.
// Q4_0..Q8_0 and Q8_K use llama.cpp's reference rounding rules (same bytes for
// ordinary inputs); Q4_K/Q5_K/Q6_K use our own least-squares search (valid
// ggml blocks, not bit-identical). Block types never write NaN/inf for finite
// input (scales saturate); F16/BF16 are IEEE conversions (overflow -> inf).
// Neither pointer needs any alignment.
void quantize_row(DType type, const float* src, void* dst, int64_t n);

}  // namespace impetus
