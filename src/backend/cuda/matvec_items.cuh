// The per-item dot products of the matrix-vector kernels (matvec.cu): a
// weight row is cut into items of 256 elements (8 legacy blocks or one
// K-quant super-block; 32 legacy blocks' worth of 1 block when rows are
// short) or 32 elements (float types). Each Item type loads its bytes into
// registers (from global or shared memory) and dots them with every
// token's activations: Q8 activations through dp4a integer dot products per
// block, scaled in float exactly as the CPU reference does
// (backend/cpu/kernels_scalar.cc), or F32 activations for float weights.
#pragma once

#include <cuda_fp16.h>

#include "backend/cuda/dequant.cuh"
#include "backend/cuda/device_common.cuh"
#include "backend/cuda/kernels.h"

namespace impetus::cuda {

struct KernelParams {
  MatvecWeight ws[kMatvecMaxWeights];
  int block_begin[kMatvecMaxWeights];
  int n_w;
  int64_t n_in;
  int nt;
  const void* act;
  const float2* meta;
  const float* x;
  float* residual;
  int G;  // items per row
  int R;  // rows per block (block kernel)
  int chunk_items;  // items per row staged per pipeline stage (tile kernel)
  int stride;       // bytes between rows in a stage (tile kernel)
  int act_offset;   // shared-memory bytes before the prologue's activations (tile kernel)
  bool bulk;        // stage weights with bulk copies (Hopper) instead of cp.async (tile kernel)
  bool split;       // 16-row tiles, two lanes per row (tile kernel)
  int tile_rows;    // rows per block (tile kernel: 32, or 16 when split)
  Prologue prologue;
  const float* pro_x;
  const float* pro_w;
  float pro_eps;
  float* pro_y;
  float* swiglu_out;
  int8_t* swiglu_qs;
  float2* swiglu_meta;
  int32_t* counters;
};

// The tile kernel (matvec_tile.cu) for these arguments when it applies
// (16-byte aligned rows of a type it supports); false otherwise.
bool launch_matvec_tile(const MatvecArgs& a, cudaStream_t stream);
// The direct kernels (matvec_direct.cu): Q4_0/Q8_0 (any rows, 1..8 tokens)
// and float weights (16-byte aligned rows, 1..8 tokens); false when they do
// not apply.
bool launch_matvec_direct(const MatvecArgs& a, cudaStream_t stream);
// The int8 tensor-core kernel (matvec_mma.cu): Q4_0/Q8_0 rows 4-byte
// aligned, 1..kMatvecMaxBatch tokens; false when it does not apply.
bool launch_matvec_mma(const MatvecArgs& a, cudaStream_t stream);

// The weight (0..n_w-1) whose rows block `blockIdx.x` takes (block_begin
// from assign_blocks).
__device__ __forceinline__ int matvec_weight_index(const KernelParams& p) {
  int wi = 0;
  if (p.n_w > 1 && static_cast<int>(blockIdx.x) >= p.block_begin[1]) wi = 1;
  if (p.n_w > 2 && static_cast<int>(blockIdx.x) >= p.block_begin[2]) wi = 2;
  return wi;
}
__device__ __forceinline__ MatvecWeight matvec_weight(const KernelParams& p, int wi) {
  return wi == 0 ? p.ws[0] : (wi == 1 ? p.ws[1] : p.ws[2]);
}
KernelParams make_params(const MatvecArgs& a);
unsigned assign_blocks(KernelParams& p, int64_t rows_per_block);
bool aligned(const MatvecArgs& a, int bytes);

__device__ __forceinline__ int4 load_act(const int8_t* p, int i) {
  return reinterpret_cast<const int4*>(p)[i];
}

// ---- legacy blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0), BPI blocks per item ----
template <DType T, int BPI, int ALIGN>
struct LegacyItem {
  static constexpr int kBlockBytes = BlockInfo<T>::kBytes;
  static constexpr int kElems = 32 * BPI;
  static constexpr int kBytes = kBlockBytes * BPI;
  static constexpr int kWords = WordCount<kBytes>::value;

  __device__ static void load(const uint8_t* p, uint32_t (&w)[kWords]) { load_words<kBytes, ALIGN>(p, w); }
  __device__ static void load_shared(const uint8_t* p, uint32_t (&w)[kWords]) {
    load_words<kBytes, ALIGN, false>(p, w);
  }

  // q: the 32 quants as 8 words of int8 (element order), center: subtracted
  // from every quant, d, m: scale and offset.
  __device__ static void decode(const uint32_t (&w)[kWords], int o, int (&q)[8], int* center, float* d,
                                float* m) {
    *d = f16_bits(get_u16(w, o));
    *m = 0.0f;
    *center = 0;
    if constexpr (T == DType::kQ8_0) {
#pragma unroll
      for (int k = 0; k < 8; ++k) q[k] = static_cast<int>(get_u32(w, o + 2 + 4 * k));
    } else {
      int qs_off = o + 2;
      uint32_t qh = 0;
      if constexpr (T == DType::kQ4_1 || T == DType::kQ5_1) {
        *m = f16_bits(get_u16(w, o + 2));
        qs_off += 2;
      }
      if constexpr (T == DType::kQ5_0 || T == DType::kQ5_1) {
        qh = get_u32(w, qs_off);
        qs_off += 4;
      }
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const uint32_t qs = get_u32(w, qs_off + 4 * k);
        uint32_t lo = qs & 0x0f0f0f0fu, hi = (qs >> 4) & 0x0f0f0f0fu;
        if constexpr (T == DType::kQ5_0 || T == DType::kQ5_1) {
          lo |= spread_bit4(qh >> (4 * k));
          hi |= spread_bit4(qh >> (16 + 4 * k));
        }
        q[k] = static_cast<int>(lo);
        q[4 + k] = static_cast<int>(hi);
      }
      if constexpr (T == DType::kQ4_0) *center = 8;
      if constexpr (T == DType::kQ5_0) *center = 16;
    }
  }

  template <int MAXT>
  __device__ static void dot(const uint32_t (&w)[kWords], const int8_t* qs, const float2* meta, int64_t n_in,
                             int nt, float (&out)[MAXT]) {
#pragma unroll
    for (int b = 0; b < BPI; ++b) {
      int q[8], center;
      float d, m;
      decode(w, b * kBlockBytes, q, &center, &d, &m);
#pragma unroll
      for (int t = 0; t < MAXT; ++t) {
        if (t < nt) {
          const int8_t* a = qs + t * n_in + 32 * b;
          const int4 a0 = load_act(a, 0), a1 = load_act(a, 1);
          int isum = __dp4a(q[0], a0.x, 0);
          isum = __dp4a(q[1], a0.y, isum);
          isum = __dp4a(q[2], a0.z, isum);
          isum = __dp4a(q[3], a0.w, isum);
          isum = __dp4a(q[4], a1.x, isum);
          isum = __dp4a(q[5], a1.y, isum);
          isum = __dp4a(q[6], a1.z, isum);
          isum = __dp4a(q[7], a1.w, isum);
          const float2 md = meta[t * (n_in / 32) + b];
          if (center != 0) isum -= center * static_cast<int>(md.y);
          float r = (d * md.x) * static_cast<float>(isum);
          if constexpr (T == DType::kQ4_1 || T == DType::kQ5_1) r += m * (md.x * md.y);
          out[t] += r;
        }
      }
    }
  }
};

// ---- K-quant super-blocks (Q4_K, Q5_K, Q6_K), one per item ----
template <DType T, int ALIGN>
struct KItem {
  static constexpr int kElems = 256;
  static constexpr int kBytes = BlockInfo<T>::kBytes;
  static constexpr int kWords = WordCount<kBytes>::value;

  __device__ static void load(const uint8_t* p, uint32_t (&w)[kWords]) { load_words<kBytes, ALIGN>(p, w); }
  __device__ static void load_shared(const uint8_t* p, uint32_t (&w)[kWords]) {
    load_words<kBytes, ALIGN, false>(p, w);
  }

  __device__ static int isum_of(const int (&q)[8], const int8_t* a, int lo_k, int hi_k) {
    const int4 a0 = load_act(a, 0), a1 = load_act(a, 1);
    const int av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
    int s = 0;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
      if (k >= lo_k && k < hi_k) s = __dp4a(q[k], av[k], s);
    }
    return s;
  }

  template <int MAXT>
  __device__ static void dot(const uint32_t (&w)[kWords], const int8_t* qs, const float2* meta, int64_t n_in,
                             int nt, float (&out)[MAXT]) {
    if constexpr (T == DType::kQ6_K) {
      const float d = f16_bits(get_u16(w, 208));
#pragma unroll
      for (int ab = 0; ab < 8; ++ab) {
        const int h = ab / 4, g = ab % 4;
        int q[8];
#pragma unroll
        for (int k = 0; k < 8; ++k) {
          const uint32_t ql = get_u32(w, 64 * h + 32 * (g & 1) + 4 * k);
          const uint32_t lo = g < 2 ? (ql & 0x0f0f0f0fu) : ((ql >> 4) & 0x0f0f0f0fu);
          const uint32_t hi = (get_u32(w, 128 + 32 * h + 4 * k) >> (2 * g)) & 0x03030303u;
          q[k] = static_cast<int>(__vsub4(lo | (hi << 4), 0x20202020u));
        }
        const int sc0 = static_cast<int8_t>(get_u8(w, 192 + 2 * ab));
        const int sc1 = static_cast<int8_t>(get_u8(w, 193 + 2 * ab));
#pragma unroll
        for (int t = 0; t < MAXT; ++t) {
          if (t < nt) {
            const int8_t* a = qs + t * n_in + 32 * ab;
            const int isum = sc0 * isum_of(q, a, 0, 4) + sc1 * isum_of(q, a, 4, 8);
            const float2 md = meta[t * (n_in / 32) + ab];
            out[t] += (md.x * d) * static_cast<float>(isum);
          }
        }
      }
    } else {
      constexpr int kQs = T == DType::kQ4_K ? 16 : 48;
      const float d = f16_bits(get_u16(w, 0)), dmin = f16_bits(get_u16(w, 2));
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        int sc, mn;
        k_scale_min_words(w, 4, j, &sc, &mn);
        int q[8];
#pragma unroll
        for (int k = 0; k < 8; ++k) {
          const uint32_t v = get_u32(w, kQs + 32 * (j / 2) + 4 * k);
          uint32_t nib = (j & 1) ? ((v >> 4) & 0x0f0f0f0fu) : (v & 0x0f0f0f0fu);
          if constexpr (T == DType::kQ5_K) nib |= ((get_u32(w, 16 + 4 * k) >> j) & 0x01010101u) << 4;
          q[k] = static_cast<int>(nib);
        }
        const float dsc = d * static_cast<float>(sc), dmn = dmin * static_cast<float>(mn);
#pragma unroll
        for (int t = 0; t < MAXT; ++t) {
          if (t < nt) {
            const int isum = isum_of(q, qs + t * n_in + 32 * j, 0, 8);
            const float2 md = meta[t * (n_in / 32) + j];
            out[t] += md.x * (dsc * static_cast<float>(isum)) - dmn * (md.x * md.y);
          }
        }
      }
    }
  }
};

// ---- float weights (F32, F16, BF16), 32 elements per item ----
template <DType T>
struct FloatItem {
  static constexpr int kElems = 32;
  static constexpr int kBytes = T == DType::kF32 ? 128 : 64;
  static constexpr int kWords = WordCount<kBytes>::value;

  __device__ static void load(const uint8_t* p, uint32_t (&w)[kWords]) { load_words<kBytes, 16>(p, w); }
  __device__ static void load_shared(const uint8_t* p, uint32_t (&w)[kWords]) {
    load_words<kBytes, 16, false>(p, w);
  }

  __device__ static float2 pair(const uint32_t (&w)[kWords], int i) {  // elements 2i, 2i+1
    if constexpr (T == DType::kF32) {
      return make_float2(__uint_as_float(w[2 * i]), __uint_as_float(w[2 * i + 1]));
    } else if constexpr (T == DType::kF16) {
      return __half22float2(*reinterpret_cast<const __half2*>(&w[i]));
    } else {
      return make_float2(__uint_as_float(w[i] << 16), __uint_as_float(w[i] & 0xffff0000u));
    }
  }

  template <int MAXT>
  __device__ static void dot(const uint32_t (&w)[kWords], const float* x, int64_t n_in, int nt,
                             float (&out)[MAXT]) {
#pragma unroll
    for (int t = 0; t < MAXT; ++t) {
      if (t < nt) {
        const float4* xv = reinterpret_cast<const float4*>(x + t * n_in);
        float s = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i) {
          const float4 a = xv[i];
          const float2 w0 = pair(w, 2 * i), w1 = pair(w, 2 * i + 1);
          s = fmaf(w0.x, a.x, s);
          s = fmaf(w0.y, a.y, s);
          s = fmaf(w1.x, a.z, s);
          s = fmaf(w1.y, a.w, s);
        }
        out[t] += s;
      }
    }
  }
};

// Dots item g of a row with activations at `act` (Q8 qs with `meta`, or
// F32), token rows n_in apart.
template <class Item, int MAXT, bool kQ8>
__device__ __forceinline__ void item_dot_at(const uint32_t (&w)[Item::kWords], const void* act, const float2* meta,
                                            int64_t n_in, int nt, int g, float (&out)[MAXT]) {
  const int64_t e0 = static_cast<int64_t>(g) * Item::kElems;
  if constexpr (kQ8) {
    Item::template dot<MAXT>(w, static_cast<const int8_t*>(act) + e0, meta + e0 / 32, n_in, nt, out);
  } else {
    Item::template dot<MAXT>(w, static_cast<const float*>(act) + e0, n_in, nt, out);
  }
}

template <class Item, int MAXT, bool kQ8>
__device__ __forceinline__ void item_dot(const uint32_t (&w)[Item::kWords], const KernelParams& p, int g,
                                         float (&out)[MAXT]) {
  item_dot_at<Item, MAXT, kQ8>(w, p.act, p.meta, p.n_in, p.nt, g, out);
}

}  // namespace impetus::cuda
