// Paged attention over the KV cache with an online softmax.
//
// One block of 4 warps per (token, query head, split). Each warp takes
// chunks of 32 cached positions: lane j scores position base + j against
// the query (held in shared memory), the warp updates its running max and
// sum, then accumulates the 32 value rows, each lane owning head_dim / 32
// consecutive dimensions so that a value row is read with one coalesced
// load per warp. The 4 warps' partial results are merged at the end. With
// several splits (flash decoding: long contexts, few tokens) each split
// writes its unnormalized partial result and a second kernel merges them.
// The kernel writing the final rows can also quantize them to Q8
// activations (a head's dims are whole 32-element blocks): warp w of the
// block holds dims 32w.. of the loop below, one block per warp.
#include <cuda_fp16.h>

#include <cmath>
#include <type_traits>

#include "backend/cuda/act_quant.cuh"
#include "backend/cuda/device_common.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.cuh"
#include "backend/cuda/rope_angles.cuh"

namespace impetus::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * kWarp;
constexpr int kMaxDim = 256;
constexpr int kGenericDims = kMaxDim / kWarp;  // dims per lane in the generic kernel

template <typename CT>
__device__ __forceinline__ float to_f(CT v) {
  if constexpr (sizeof(CT) == 2) {
    return __half2float(v);
  } else {
    return v;
  }
}

// dot(k row, q) over D elements; vectorized when D is a multiple of 32.
template <typename CT, int DPL>
__device__ __forceinline__ float dot_key(const CT* k, const float* q, int D) {
  float s = 0.0f;
  if constexpr (DPL > 0) {
    constexpr int kD = DPL * kWarp;
    if constexpr (sizeof(CT) == 2) {
      const uint4* k4 = reinterpret_cast<const uint4*>(k);
#pragma unroll
      for (int i = 0; i < kD / 8; ++i) {
        const uint4 u = k4[i];
        const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          const float2 f = __half22float2(h[j]);
          s = fmaf(f.x, q[8 * i + 2 * j], s);
          s = fmaf(f.y, q[8 * i + 2 * j + 1], s);
        }
      }
    } else {
      const float4* k4 = reinterpret_cast<const float4*>(k);
#pragma unroll
      for (int i = 0; i < kD / 4; ++i) {
        const float4 f = k4[i];
        s = fmaf(f.x, q[4 * i], s);
        s = fmaf(f.y, q[4 * i + 1], s);
        s = fmaf(f.z, q[4 * i + 2], s);
        s = fmaf(f.w, q[4 * i + 3], s);
      }
    }
  } else {
    for (int i = 0; i < D; ++i) s = fmaf(to_f(k[i]), q[i], s);
  }
  return s;
}

// acc[i] += p * v[dim of lane, i].
template <typename CT, int DPL>
__device__ __forceinline__ void axpy_value(const CT* v, float p, int D, int lane,
                                           float (&acc)[DPL > 0 ? DPL : kGenericDims]) {
  if constexpr (DPL > 0) {
    const CT* vl = v + lane * DPL;
    if constexpr (sizeof(CT) == 2 && DPL % 2 == 0) {
#pragma unroll
      for (int i = 0; i < DPL / 2; ++i) {
        const float2 f = __half22float2(reinterpret_cast<const __half2*>(vl)[i]);
        acc[2 * i] = fmaf(p, f.x, acc[2 * i]);
        acc[2 * i + 1] = fmaf(p, f.y, acc[2 * i + 1]);
      }
    } else if constexpr (sizeof(CT) == 4 && DPL % 4 == 0) {
#pragma unroll
      for (int i = 0; i < DPL / 4; ++i) {
        const float4 f = reinterpret_cast<const float4*>(vl)[i];
        acc[4 * i] = fmaf(p, f.x, acc[4 * i]);
        acc[4 * i + 1] = fmaf(p, f.y, acc[4 * i + 1]);
        acc[4 * i + 2] = fmaf(p, f.z, acc[4 * i + 2]);
        acc[4 * i + 3] = fmaf(p, f.w, acc[4 * i + 3]);
      }
    } else {
#pragma unroll
      for (int i = 0; i < DPL; ++i) acc[i] = fmaf(p, to_f(vl[i]), acc[i]);
    }
  } else {
#pragma unroll
    for (int i = 0; i < kGenericDims; ++i) {
      const int d = lane + kWarp * i;
      if (d < D) acc[i] = fmaf(p, to_f(v[d]), acc[i]);
    }
  }
}

// acc += sum over u of p[u] * rows[u][dims of lane], all rows loaded first.
template <typename CT, int DPL, int N>
__device__ __forceinline__ void accumulate_values(const CT* const (&rows)[N], const float (&p)[N], int D,
                                                  int lane, float (&acc)[DPL > 0 ? DPL : kGenericDims]) {
  if constexpr (DPL > 0 && sizeof(CT) * DPL <= 16 && (sizeof(CT) * DPL) % 4 == 0) {
    // One 4-, 8- or 16-byte load per row and lane.
    using Vec = std::conditional_t<sizeof(CT) * DPL == 16, uint4,
                                   std::conditional_t<sizeof(CT) * DPL == 8, uint2, uint32_t>>;
    Vec v[N];
#pragma unroll
    for (int u = 0; u < N; ++u) v[u] = *reinterpret_cast<const Vec*>(rows[u] + lane * DPL);
#pragma unroll
    for (int u = 0; u < N; ++u) {
      const CT* e = reinterpret_cast<const CT*>(&v[u]);
#pragma unroll
      for (int i = 0; i < DPL; ++i) acc[i] = fmaf(p[u], to_f(e[i]), acc[i]);
    }
  } else {
#pragma unroll
    for (int u = 0; u < N; ++u) axpy_value<CT, DPL>(rows[u], p[u], D, lane, acc);
  }
}

template <int DPL>
__device__ __forceinline__ int dim_of(int lane, int i) {
  return DPL > 0 ? lane * DPL + i : lane + kWarp * i;
}

// Value rows loaded together: 16 when a lane's share of a
// row is at most 8 bytes (two memory latencies per chunk of 32), else 8.
template <typename CT, int DPL>
inline constexpr int kBatch = DPL > 0 && sizeof(CT) * DPL <= 8 ? 16 : 8;

template <typename CT>
__device__ __forceinline__ CT from_f(float v) {
  if constexpr (sizeof(CT) == 2) {
    return __float2half_rn(v);
  } else {
    return v;
  }
}

// Rotates the D floats at v (in place, shared memory) as rope_kernel does.
__device__ __forceinline__ void rotate_shared(const RopeArgs& r, float* v, const float* cos_s, const float* sin_s) {
  for (int i = threadIdx.x; i < r.n_rot / 2; i += kThreads) {
    const int ia = r.neox ? i : 2 * i;
    const int ib = r.neox ? i + r.n_rot / 2 : 2 * i + 1;
    const float c = cos_s[i], s = sin_s[i];
    const float x0 = v[ia], x1 = v[ib];
    v[ia] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
    v[ib] = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
  }
}

// The fused RoPE + KV store for the block holding token t's own position:
// k head kvh rotated (staged in k_s) and the v head stored at the token's
// slot. Blocks of other query heads of the same KV head store the same
// values, so every block reads back what it wrote itself.
template <typename CT>
__device__ __forceinline__ void store_rotated_kv(const AttentionArgs& a, int64_t t, int kvh, float* k_s,
                                                 const float* cos_s, const float* sin_s) {
  const RopeArgs& r = a.rope;
  const int D = a.head_dim;
  const int64_t kv_row = static_cast<int64_t>(a.n_head_kv) * D;
  const float* k = r.x2 + t * kv_row + static_cast<int64_t>(kvh) * D;
  const float* v = r.v + t * kv_row + static_cast<int64_t>(kvh) * D;
  for (int i = threadIdx.x; i < D; i += kThreads) k_s[i] = k[i];
  __syncthreads();
  rotate_shared(r, k_s, cos_s, sin_s);
  __syncthreads();
  const int64_t at = static_cast<int64_t>(r.slots[t]) * kv_row + static_cast<int64_t>(kvh) * D;
  CT* kc = static_cast<CT*>(const_cast<void*>(a.k_cache)) + at;
  CT* vc = static_cast<CT*>(const_cast<void*>(a.v_cache)) + at;
  for (int i = threadIdx.x; i < D; i += kThreads) {
    kc[i] = from_f<CT>(k_s[i]);
    vc[i] = from_f<CT>(v[i]);
  }
}

template <typename CT, int DPL>
__global__ void __launch_bounds__(kThreads) attention_kernel(AttentionArgs a) {
  constexpr int kDims = DPL > 0 ? DPL : kGenericDims;
  constexpr int kB = kBatch<CT, DPL>;
  __shared__ float q_s[kMaxDim];
  __shared__ float warp_m[kWarps], warp_l[kWarps];
  __shared__ float warp_acc[kWarps][kMaxDim];
  __shared__ float cos_s[kMaxDim / 2], sin_s[kMaxDim / 2];
  const int64_t t = blockIdx.x;
  // Positions and frequency factors are written by no kernel.
  if (a.with_rope) rope_angles<kThreads>(a.rope, t, cos_s, sin_s);
  wait_for_previous_grid();
  allow_next_grid();
  const int h = blockIdx.y, split = blockIdx.z;
  const int D = a.head_dim;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int kvh = h / (a.n_head / a.n_head_kv);
  const float* qrow = a.q + (t * a.n_head + h) * D;
  for (int i = threadIdx.x; i < D; i += kThreads) q_s[i] = qrow[i];
  __syncthreads();

  const int n_ctx = a.positions[t] + 1;
  const int per_split = ((n_ctx + a.n_splits - 1) / a.n_splits + kWarp - 1) / kWarp * kWarp;
  const int c0 = split * per_split, c1 = min(n_ctx, c0 + per_split);
  if (a.with_rope) {
    rotate_shared(a.rope, q_s, cos_s, sin_s);
    if (c0 <= n_ctx - 1 && n_ctx - 1 < c1) store_rotated_kv<CT>(a, t, kvh, warp_acc[0], cos_s, sin_s);
    __syncthreads();  // the rotated q and the stored k, v are seen by the whole block
  }
  const int32_t* table = a.tables + static_cast<int64_t>(a.seq[t]) * a.table_width;
  const int64_t kv_row = static_cast<int64_t>(a.n_head_kv) * D;
  const CT* kc = static_cast<const CT*>(a.k_cache) + static_cast<int64_t>(kvh) * D;
  const CT* vc = static_cast<const CT*>(a.v_cache) + static_cast<int64_t>(kvh) * D;

  float m = -INFINITY, l = 0.0f;
  float acc[kDims];
#pragma unroll
  for (int i = 0; i < kDims; ++i) acc[i] = 0.0f;
  for (int base = c0 + warp * kWarp; base < c1; base += kThreads) {
    const int j = base + lane;
    const bool valid = j < c1;
    int64_t slot = 0;
    float s = -INFINITY;
    if (valid) {
      slot = static_cast<int64_t>(table[j / a.block_size]) * a.block_size + j % a.block_size;
      s = dot_key<CT, DPL>(kc + slot * kv_row, q_s, D) * a.scale;
    }
    const float m_new = fmaxf(m, warp_max(s));
    const float corr = expf(m - m_new);
    const float p = valid ? expf(s - m_new) : 0.0f;
    l = l * corr + warp_sum(p);
#pragma unroll
    for (int i = 0; i < kDims; ++i) acc[i] *= corr;
    // Value rows in groups of kBatch whose loads are all issued before the
    // first is used (a plain loop would wait for each load in turn).
    const int n_valid = min(kWarp, c1 - base);
    for (int j0 = 0; j0 < n_valid; j0 += kB) {
      float pj[kB];
      const CT* rows[kB];
#pragma unroll
      for (int u = 0; u < kB; ++u) {
        pj[u] = __shfl_sync(0xffffffffu, p, j0 + u);
        rows[u] = vc + __shfl_sync(0xffffffffu, slot, j0 + u) * kv_row;
      }
      if (j0 + kB <= n_valid) {
        accumulate_values<CT, DPL, kB>(rows, pj, D, lane, acc);
      } else {
#pragma unroll
        for (int u = 0; u < kB; ++u) {
          if (u < n_valid - j0) axpy_value<CT, DPL>(rows[u], pj[u], D, lane, acc);
        }
      }
    }
    m = m_new;
  }
  if (lane == 0) {
    warp_m[warp] = m;
    warp_l[warp] = l;
  }
#pragma unroll
  for (int i = 0; i < kDims; ++i) {
    const int d = dim_of<DPL>(lane, i);
    if (d < D) warp_acc[warp][d] = acc[i];
  }
  __syncthreads();
  float M = -INFINITY;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) M = fmaxf(M, warp_m[w]);
  float f[kWarps], L = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) {
    f[w] = warp_m[w] == -INFINITY ? 0.0f : expf(warp_m[w] - M);
    L += warp_l[w] * f[w];
  }
  const int64_t row = t * a.n_head + h;
  for (int d = threadIdx.x; d < D; d += kThreads) {
    float o = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) o += warp_acc[w][d] * f[w];
    if (a.n_splits == 1) {
      const float v = o / L;
      a.out[row * D + d] = v;
      if (a.qs != nullptr) quantize_block_warp(v, row * D + d, (row * D + d) / 32, a.qs, a.meta);
    } else {
      a.part_acc[(split * a.n_tok * a.n_head + row) * D + d] = o;
    }
  }
  if (a.n_splits > 1 && threadIdx.x == 0) a.part_ml[split * a.n_tok * a.n_head + row] = make_float2(M, L);
}

// Merges the splits of one (token, head).
__global__ void __launch_bounds__(kThreads) merge_splits_kernel(AttentionArgs a) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t row = static_cast<int64_t>(blockIdx.x) * a.n_head + blockIdx.y;
  const int64_t stride = a.n_tok * a.n_head;
  float M = -INFINITY;
  for (int s = 0; s < a.n_splits; ++s) M = fmaxf(M, a.part_ml[s * stride + row].x);
  float L = 0.0f;
  for (int s = 0; s < a.n_splits; ++s) {
    const float2 ml = a.part_ml[s * stride + row];
    if (ml.x != -INFINITY) L += ml.y * expf(ml.x - M);
  }
  const int D = a.head_dim;
  for (int d = threadIdx.x; d < D; d += kThreads) {
    float o = 0.0f;
    for (int s = 0; s < a.n_splits; ++s) {
      const float mx = a.part_ml[s * stride + row].x;
      if (mx != -INFINITY) o += a.part_acc[(s * stride + row) * D + d] * expf(mx - M);
    }
    const float v = o / L;
    a.out[row * D + d] = v;
    if (a.qs != nullptr) quantize_block_warp(v, row * D + d, (row * D + d) / 32, a.qs, a.meta);
  }
}

template <typename CT>
void launch_typed(const AttentionArgs& a, dim3 grid, cudaStream_t stream) {
  switch (a.head_dim) {
    case 32: launch_kernel(attention_kernel<CT, 1>, grid, kThreads, 0, stream, a); break;
    case 64: launch_kernel(attention_kernel<CT, 2>, grid, kThreads, 0, stream, a); break;
    case 128: launch_kernel(attention_kernel<CT, 4>, grid, kThreads, 0, stream, a); break;
    case 256: launch_kernel(attention_kernel<CT, 8>, grid, kThreads, 0, stream, a); break;
    default: launch_kernel(attention_kernel<CT, 0>, grid, kThreads, 0, stream, a); break;
  }
}

}  // namespace

void launch_attention(const AttentionArgs& a, cudaStream_t stream) {
  if (a.n_tok == 0) return;
  IMP_CHECK(a.head_dim <= kMaxDim, "CUDA attention: head_dim ", a.head_dim, " above ", kMaxDim);
  IMP_CHECK(a.n_head <= 65535 && a.n_splits <= 64, "CUDA attention: too many heads or splits");
  IMP_CHECK(a.qs == nullptr || a.head_dim % 32 == 0, "CUDA attention: Q8 output needs head_dim % 32 == 0");
  const dim3 grid(static_cast<unsigned>(a.n_tok), static_cast<unsigned>(a.n_head),
                  static_cast<unsigned>(a.n_splits));
  if (a.cache_f16) {
    launch_typed<__half>(a, grid, stream);
  } else {
    launch_typed<float>(a, grid, stream);
  }
  IMP_CUDA_CHECK_LAUNCH();
  if (a.n_splits > 1) {
    launch_kernel(merge_splits_kernel, dim3(static_cast<unsigned>(a.n_tok), static_cast<unsigned>(a.n_head)), kThreads, 0,
                          stream, a);
    IMP_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace impetus::cuda
