// RoPE and the KV-cache store. One block per token: the rotation angles of
// the token's position are computed once in double precision (as the CPU's
// backend/cpu/rope.cc does) into shared memory, then every head of q (and k)
// is rotated; the fused variant then stores the rotated k and v rows at the
// token's cache slot.
#include <cuda_fp16.h>

#include "backend/cuda/device_common.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kMaxHalf = 128;  // n_rot <= 256

__device__ __forceinline__ void store_row(const float* src, void* cache, bool f16, int64_t slot,
                                          int64_t n) {
  if (f16) {
    __half* dst = static_cast<__half*>(cache) + slot * n;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = __float2half_rn(src[i]);
  } else {
    float* dst = static_cast<float*>(cache) + slot * n;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = src[i];
  }
}

__global__ void __launch_bounds__(kThreads) rope_kernel(RopeArgs a) {
  wait_for_previous_grid();
  allow_next_grid();
  __shared__ float cos_s[kMaxHalf], sin_s[kMaxHalf];
  const int64_t t = blockIdx.x;
  const int half = a.n_rot / 2;
  const double pos = a.positions[t];
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    double f = pow(static_cast<double>(a.freq_base), -2.0 * i / a.n_rot) * static_cast<double>(a.freq_scale);
    if (a.freq_factors != nullptr) f /= static_cast<double>(a.freq_factors[i]);
    const double theta = pos * f;
    cos_s[i] = static_cast<float>(cos(theta));
    sin_s[i] = static_cast<float>(sin(theta));
  }
  __syncthreads();
  const int hd = a.head_dim;
  const int total = (a.n_heads + a.n_heads2) * half;
  for (int idx = threadIdx.x; idx < total; idx += blockDim.x) {
    const int h = idx / half, i = idx % half;
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
    __syncthreads();  // the rotated k row is read by other threads below
    const int64_t kv_dim = static_cast<int64_t>(a.n_heads2) * hd;
    const int64_t slot = a.slots[t];
    store_row(a.x2 + t * kv_dim, a.k_cache, a.cache_f16, slot, kv_dim);
    store_row(a.v + t * kv_dim, a.v_cache, a.cache_f16, slot, kv_dim);
  }
}

__global__ void kv_store_kernel(const float* k, const float* v, void* k_cache, void* v_cache, bool f16,
                                int64_t kv_dim, const int32_t* slots) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t t = blockIdx.x;
  const int64_t slot = slots[t];
  store_row(k + t * kv_dim, k_cache, f16, slot, kv_dim);
  store_row(v + t * kv_dim, v_cache, f16, slot, kv_dim);
}

}  // namespace

void launch_rope(const RopeArgs& a, cudaStream_t stream) {
  if (a.n_tok == 0) return;
  IMP_CHECK(a.n_rot / 2 <= kMaxHalf, "CUDA rope: n_rot ", a.n_rot, " above ", 2 * kMaxHalf);
  launch_kernel(rope_kernel, static_cast<unsigned>(a.n_tok), kThreads, 0, stream, a);
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
