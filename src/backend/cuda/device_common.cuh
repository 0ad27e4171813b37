// Device-side helpers shared by the CUDA kernels: half/bfloat16 bits to
// float, warp reductions, and byte access into weight blocks loaded into
// registers as 32-bit words (offsets are compile-time constants once the
// callers' loops are unrolled, so the arrays stay in registers).
#pragma once

#include <cuda_fp16.h>

#include <cstdint>

namespace impetus::cuda {

inline constexpr int kWarp = 32;

__device__ __forceinline__ float f16_bits(uint32_t bits) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(bits & 0xffffu)));
}
__device__ __forceinline__ float bf16_bits(uint32_t bits) { return __uint_as_float((bits & 0xffffu) << 16); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warp_sum(double v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ int warp_sum(int v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Words needed to hold n bytes plus one spare word for unaligned reads.
template <int NBYTES>
struct WordCount {
  static constexpr int value = (NBYTES + 3) / 4 + 1;
};

// Loads NBYTES from p (aligned to ALIGN: 16, 4 or 2) into words w (little
// endian: byte i of the item is byte i % 4 of w[i / 4]); the spare word is 0.
// From global memory (kGlobal) weights are read once per product: streaming
// loads keep them out of L1; otherwise p is shared memory.
template <typename T>
__device__ __forceinline__ T load_once(const T* p, bool global) {
  return global ? __ldcs(p) : *p;
}

template <int NBYTES, int ALIGN, bool kGlobal = true>
__device__ __forceinline__ void load_words(const uint8_t* p, uint32_t (&w)[WordCount<NBYTES>::value]) {
  constexpr int kWords = WordCount<NBYTES>::value;
  if constexpr (ALIGN == 16) {
    static_assert(NBYTES % 16 == 0, "16-byte loads need a multiple of 16 bytes");
    const uint4* v = reinterpret_cast<const uint4*>(p);
#pragma unroll
    for (int i = 0; i < NBYTES / 16; ++i) {
      const uint4 x = load_once(v + i, kGlobal);
      w[4 * i] = x.x;
      w[4 * i + 1] = x.y;
      w[4 * i + 2] = x.z;
      w[4 * i + 3] = x.w;
    }
  } else if constexpr (ALIGN == 4) {
    static_assert(NBYTES % 4 == 0, "4-byte loads need a multiple of 4 bytes");
    const uint32_t* v = reinterpret_cast<const uint32_t*>(p);
#pragma unroll
    for (int i = 0; i < NBYTES / 4; ++i) w[i] = load_once(v + i, kGlobal);
  } else {
    static_assert(ALIGN == 2 && NBYTES % 2 == 0, "2-byte loads need an even size");
    const unsigned short* v = reinterpret_cast<const unsigned short*>(p);
#pragma unroll
    for (int i = 0; i < NBYTES / 2; ++i) {
      const uint32_t h = load_once(v + i, kGlobal);
      if (i % 2 == 0) {
        w[i / 2] = h;
      } else {
        w[i / 2] |= h << 16;
      }
    }
  }
#pragma unroll
  for (int i = (NBYTES + 3) / 4; i < kWords; ++i) w[i] = 0;
}

// 32 bits starting at byte `off` of the words (any alignment).
template <int N>
__device__ __forceinline__ uint32_t get_u32(const uint32_t (&w)[N], int off) {
  const int i = off >> 2, s = off & 3;
  return s == 0 ? w[i] : __funnelshift_r(w[i], w[i + 1], 8 * s);
}
template <int N>
__device__ __forceinline__ uint32_t get_u16(const uint32_t (&w)[N], int off) {
  return get_u32(w, off) & 0xffffu;
}
template <int N>
__device__ __forceinline__ uint32_t get_u8(const uint32_t (&w)[N], int off) {
  return (w[off >> 2] >> (8 * (off & 3))) & 0xffu;
}

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block whose 12 scale
// bytes start at byte `off` (see k_scale_min in tensor/quant/blocks.h).
template <int N>
__device__ __forceinline__ void k_scale_min_words(const uint32_t (&w)[N], int off, int j, int* sc,
                                                  int* m) {
  if (j < 4) {
    *sc = static_cast<int>(get_u8(w, off + j) & 63);
    *m = static_cast<int>(get_u8(w, off + j + 4) & 63);
  } else {
    *sc = static_cast<int>((get_u8(w, off + j + 4) & 0x0f) | ((get_u8(w, off + j - 4) >> 6) << 4));
    *m = static_cast<int>((get_u8(w, off + j + 4) >> 4) | ((get_u8(w, off + j) >> 6) << 4));
  }
}

// Same, reading the bytes from memory.
__device__ __forceinline__ void k_scale_min_mem(const uint8_t* s, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

__device__ __forceinline__ uint32_t load_u16(const uint8_t* p) {
  return *reinterpret_cast<const unsigned short*>(p);
}

// Spreads 4 bits b0..b3 of x to bit 4 of bytes 0..3 (the 5th bits of Q5 quants).
__device__ __forceinline__ uint32_t spread_bit4(uint32_t x) {
  return ((x & 1u) << 4) | ((x & 2u) << 11) | ((x & 4u) << 18) | ((x & 8u) << 25);
}

}  // namespace impetus::cuda
