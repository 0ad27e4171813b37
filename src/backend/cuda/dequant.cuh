// Exact dequantization on the device: the same float operations, in the
// same order, as tensor/quant/quant_legacy.cc and quant_k.cc, so get_rows
// gives bit-identical values to the CPU. Explicit _rn intrinsics keep nvcc
// from contracting a*b+c into one fused multiply-add (the CPU rounds twice).
// Block layouts: tensor/quant/blocks.h.
#pragma once

#include <cstdint>

#include "backend/cuda/device_common.cuh"
#include "tensor/dtype.h"

namespace impetus::cuda {

template <DType T>
struct BlockInfo;
template <> struct BlockInfo<DType::kQ4_0> { static constexpr int kBytes = 18, kElems = 32; };
template <> struct BlockInfo<DType::kQ4_1> { static constexpr int kBytes = 20, kElems = 32; };
template <> struct BlockInfo<DType::kQ5_0> { static constexpr int kBytes = 22, kElems = 32; };
template <> struct BlockInfo<DType::kQ5_1> { static constexpr int kBytes = 24, kElems = 32; };
template <> struct BlockInfo<DType::kQ8_0> { static constexpr int kBytes = 34, kElems = 32; };
template <> struct BlockInfo<DType::kQ4_K> { static constexpr int kBytes = 144, kElems = 256; };
template <> struct BlockInfo<DType::kQ5_K> { static constexpr int kBytes = 176, kElems = 256; };
template <> struct BlockInfo<DType::kQ6_K> { static constexpr int kBytes = 210, kElems = 256; };

__device__ __forceinline__ uint32_t load_u32_bytes(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// Element e of a row of a float type.
template <DType T>
__device__ __forceinline__ float float_elem(const uint8_t* row, int64_t e) {
  if constexpr (T == DType::kF32) {
    return reinterpret_cast<const float*>(row)[e];
  } else if constexpr (T == DType::kF16) {
    return f16_bits(reinterpret_cast<const unsigned short*>(row)[e]);
  } else {
    static_assert(T == DType::kBF16, "float types only");
    return bf16_bits(reinterpret_cast<const unsigned short*>(row)[e]);
  }
}

// Elements 32c .. 32c+31 of a row of `cols` elements of a quantized type
// (Q4_0 and Q8_0 in the device layout of repack.h).
template <DType T>
__device__ __forceinline__ void quant_chunk(const uint8_t* row, int64_t c, int64_t cols, float (&y)[32]) {
  if constexpr (T == DType::kQ4_0 || T == DType::kQ8_0) {
    constexpr int kQB = T == DType::kQ4_0 ? 16 : 32;
    const float d = f16_bits(load_u16(row + (cols / 32) * kQB + 2 * c));
    const uint8_t* qs = row + c * kQB;
    if constexpr (T == DType::kQ8_0) {
#pragma unroll
      for (int j = 0; j < 32; ++j) y[j] = __fmul_rn(static_cast<float>(static_cast<int8_t>(qs[j])), d);
    } else {
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        y[j] = __fmul_rn(static_cast<float>((qs[j] & 0x0f) - 8), d);
        y[j + 16] = __fmul_rn(static_cast<float>((qs[j] >> 4) - 8), d);
      }
    }
  } else if constexpr (T == DType::kQ4_1 || T == DType::kQ5_0 || T == DType::kQ5_1) {
    const uint8_t* b = row + c * BlockInfo<T>::kBytes;
    const float d = f16_bits(load_u16(b));
    if constexpr (T == DType::kQ4_1) {
      const float m = f16_bits(load_u16(b + 2));
      const uint8_t* qs = b + 4;
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        y[j] = __fadd_rn(__fmul_rn(static_cast<float>(qs[j] & 0x0f), d), m);
        y[j + 16] = __fadd_rn(__fmul_rn(static_cast<float>(qs[j] >> 4), d), m);
      }
    } else if constexpr (T == DType::kQ5_0) {
      const uint32_t qh = load_u32_bytes(b + 2);
      const uint8_t* qs = b + 6;
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int lo = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
        y[j] = __fmul_rn(static_cast<float>(lo - 16), d);
        y[j + 16] = __fmul_rn(static_cast<float>(hi - 16), d);
      }
    } else {  // Q5_1
      const float m = f16_bits(load_u16(b + 2));
      const uint32_t qh = load_u32_bytes(b + 4);
      const uint8_t* qs = b + 8;
#pragma unroll
      for (int j = 0; j < 16; ++j) {
        const int lo = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
        y[j] = __fadd_rn(__fmul_rn(static_cast<float>(lo), d), m);
        y[j + 16] = __fadd_rn(__fmul_rn(static_cast<float>(hi), d), m);
      }
    }
  } else if constexpr (T == DType::kQ4_K || T == DType::kQ5_K) {
    const uint8_t* b = row + (c / 8) * BlockInfo<T>::kBytes;
    const int j = static_cast<int>(c % 8);  // sub-block: chunk j/2, low (even) or high nibbles
    const float d = f16_bits(load_u16(b)), dmin = f16_bits(load_u16(b + 2));
    int sc, m;
    k_scale_min_mem(b + 4, j, &sc, &m);
    const float dd = __fmul_rn(d, static_cast<float>(sc)), o = __fmul_rn(dmin, static_cast<float>(m));
    const int shift = (j % 2) * 4;
    if constexpr (T == DType::kQ4_K) {
      const uint8_t* q = b + 16 + 32 * (j / 2);
#pragma unroll
      for (int l = 0; l < 32; ++l) {
        y[l] = __fsub_rn(__fmul_rn(dd, static_cast<float>((q[l] >> shift) & 0x0f)), o);
      }
    } else {
      const uint8_t* qh = b + 16;
      const uint8_t* q = b + 48 + 32 * (j / 2);
#pragma unroll
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> shift) & 0x0f) | (((qh[l] >> j) & 1) << 4);
        y[l] = __fsub_rn(__fmul_rn(dd, static_cast<float>(v)), o);
      }
    }
  } else {
    static_assert(T == DType::kQ6_K, "quantized types only");
    const uint8_t* b = row + (c / 8) * BlockInfo<T>::kBytes;
    const int ab = static_cast<int>(c % 8), h = ab / 4, g = ab % 4;
    const float d = f16_bits(load_u16(b + 208));
    const uint8_t* ql = b + 64 * h + 32 * (g & 1);
    const uint8_t* qh = b + 128 + 32 * h;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
    const int shift = g < 2 ? 0 : 4;
#pragma unroll
    for (int l = 0; l < 32; ++l) {
      const int lo = (ql[l] >> shift) & 0x0f;
      const int hi = (qh[l] >> (2 * g)) & 3;
      const int e = 128 * h + 32 * g + l;
      y[l] = __fmul_rn(__fmul_rn(d, static_cast<float>(sc[e / 16])), static_cast<float>((lo | (hi << 4)) - 32));
    }
  }
}

// Calls f.template operator()<T>() with the compile-time type of a runtime
// DType; returns false for types without kernels.
template <typename F>
__host__ bool dispatch_type(DType t, F&& f) {
  switch (t) {
    case DType::kF32: f.template operator()<DType::kF32>(); return true;
    case DType::kF16: f.template operator()<DType::kF16>(); return true;
    case DType::kBF16: f.template operator()<DType::kBF16>(); return true;
    case DType::kQ4_0: f.template operator()<DType::kQ4_0>(); return true;
    case DType::kQ4_1: f.template operator()<DType::kQ4_1>(); return true;
    case DType::kQ5_0: f.template operator()<DType::kQ5_0>(); return true;
    case DType::kQ5_1: f.template operator()<DType::kQ5_1>(); return true;
    case DType::kQ8_0: f.template operator()<DType::kQ8_0>(); return true;
    case DType::kQ4_K: f.template operator()<DType::kQ4_K>(); return true;
    case DType::kQ5_K: f.template operator()<DType::kQ5_K>(); return true;
    case DType::kQ6_K: f.template operator()<DType::kQ6_K>(); return true;
    default: return false;
  }
}

template <DType T>
inline constexpr bool kIsFloatType = T == DType::kF32 || T == DType::kF16 || T == DType::kBF16;

}  // namespace impetus::cuda
