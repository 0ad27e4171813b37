// RoPE and the KV-cache store. A block per token and group of heads: the
// rotation angles of the token's position are computed in double precision
// (as the CPU's backend/cpu/rope.cc does) into shared memory, then the
// group's heads of q (and k) are rotated; the fused variant then stores the
// group's rotated k heads and the same v heads at the token's cache slot.
#include <cuda_fp16.h>

#include "backend/cuda/device_common.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.cuh"
#include "backend/cuda/rope_angles.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 256;       // KV store
constexpr int kRopeThreads = 128;
constexpr int kHeadsPerBlock = 4;
constexpr int kMaxHalf = 128;  // n_rot <= 256

// Stores n floats of src at element `at` of the cache (F16 or F32).
__device__ __forceinline__ void store_row(const float* src, void* cache, bool f16, int64_t at, int64_t n) {
  if (f16) {
    __half* dst = static_cast<__half*>(cache) + at;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = __float2half_rn(src[i]);
  } else {
    float* dst = static_cast<float*>(cache) + at;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = src[i];
  }
}

// Grid (tokens, head groups): each block rotates kHeadsPerBlock heads of
// the token (q heads first, then k heads) and, when fused, stores its k
// heads (after rotation) and the matching v heads at the token's slot.
__global__ void __launch_bounds__(kRopeThreads) rope_kernel(RopeArgs a) {
  __shared__ float cos_s[kMaxHalf], sin_s[kMaxHalf];
  const int64_t t = blockIdx.x;
  const int half = a.n_rot / 2;
  // Positions and frequency factors are host data copied before the step
  // (the arena) or weights: the angles are computed before the wait.
  rope_angles<kRopeThreads>(a, t, cos_s, sin_s);
  wait_for_previous_grid();
  allow_next_grid();
  __syncthreads();
  const int hd = a.head_dim;
  const int n_h = a.n_heads + a.n_heads2;
  const int h0 = static_cast<int>(blockIdx.y) * kHeadsPerBlock;
  for (int idx = threadIdx.x; idx < kHeadsPerBlock * half; idx += kRopeThreads) {
    const int h = h0 + idx / half, i = idx % half;
    if (h >= n_h) break;
    float* v = h < a.n_heads ? a.x + t * a.n_heads * hd + static_cast<int64_t>(h) * hd
                             : a.x2 + t * a.n_heads2 * hd + static_cast<int64_t>(h - a.n_heads) * hd;
    const int ia = a.neox ? i : 2 * i;
    const int ib = a.neox ? i + half : 2 * i + 1;
    const float c = cos_s[i], s = sin_s[i];
    const float x0 = v[ia], x1 = v[ib];
    v[ia] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
    v[ib] = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
  }
  if (a.k_cache != nullptr) {
    __syncthreads();  // the rotated k heads are read by other threads below
    const int64_t kv_dim = static_cast<int64_t>(a.n_heads2) * hd;
    const int64_t slot = a.slots[t];
    const int k_begin = max(h0, a.n_heads) - a.n_heads, k_end = min(h0 + kHeadsPerBlock, n_h) - a.n_heads;
    if (k_end > k_begin) {
      const int64_t off = static_cast<int64_t>(k_begin) * hd, len = static_cast<int64_t>(k_end - k_begin) * hd;
      store_row(a.x2 + t * kv_dim + off, a.k_cache, a.cache_f16, slot * kv_dim + off, len);
      store_row(a.v + t * kv_dim + off, a.v_cache, a.cache_f16, slot * kv_dim + off, len);
    }
  }
}

__global__ void kv_store_kernel(const float* k, const float* v, void* k_cache, void* v_cache, bool f16,
                                int64_t kv_dim, const int32_t* slots) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t t = blockIdx.x;
  const int64_t slot = slots[t];
  store_row(k + t * kv_dim, k_cache, f16, slot * kv_dim, kv_dim);
  store_row(v + t * kv_dim, v_cache, f16, slot * kv_dim, kv_dim);
}

}  // namespace

void launch_rope(const RopeArgs& a, cudaStream_t stream) {
  if (a.n_tok == 0) return;
  IMP_CHECK(a.n_rot / 2 <= kMaxHalf, "CUDA rope: n_rot ", a.n_rot, " above ", 2 * kMaxHalf);
  const int n_h = a.n_heads + a.n_heads2;
  const dim3 grid(static_cast<unsigned>(a.n_tok), static_cast<unsigned>((n_h + kHeadsPerBlock - 1) / kHeadsPerBlock));
  launch_kernel(rope_kernel, grid, kRopeThreads, 0, stream, a);
  IMP_CUDA_CHECK_LAUNCH();
}

void launch_kv_store(const float* k, const float* v, void* k_cache, void* v_cache, bool cache_f16,
                     int64_t kv_dim, const int32_t* slots, int64_t n_tok, cudaStream_t stream) {
  if (n_tok == 0) return;
  launch_kernel(kv_store_kernel, static_cast<unsigned>(n_tok), kThreads, 0, stream, k, v, k_cache, v_cache, cache_f16,
                                                                         kv_dim, slots);
  IMP_CUDA_CHECK_LAUNCH();
}

}  // namespace impetus::cuda
