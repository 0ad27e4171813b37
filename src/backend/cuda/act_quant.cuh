// Device helpers shared by the activation kernels (norm_act.cu) and the
// matrix-vector prologues (matvec_tile.cu): Q8 quantization of a 32-element
// block by one warp, the block-wide double sum of RMSNorm, and SiLU * up.
// Float operations match the CPU ops exactly (backend/cpu/kernels_scalar.cc,
// rms_norm.cc, elementwise.cc).
#pragma once

#include "backend/cuda/device_common.cuh"

namespace impetus::cuda {

// One warp quantizes the 32-element block holding v (lane i holds element i):
// d = amax / 127, q = round(v / d) half away from zero, as the CPU's
// quantize_q8; writes qs[elem] and meta[block] = {d, sum of quants}.
__device__ __forceinline__ void quantize_block_warp(float v, int64_t elem, int64_t block, int8_t* qs,
                                                   float2* meta) {
  const float amax = warp_max(fabsf(v));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const int q = static_cast<int>(roundf(__fmul_rn(v, id)));
  const int sum = warp_sum(q);
  qs[elem] = static_cast<int8_t>(q);
  if ((threadIdx.x & 31) == 0) meta[block] = make_float2(d, static_cast<float>(sum));
}

// Sum of v over a block of kThreads threads (every thread gets the total).
template <int kThreads>
__device__ __forceinline__ double block_sum(double v) {
  __shared__ double partial[kThreads / kWarp];
  v = warp_sum(v);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  double total = 0.0;
#pragma unroll
  for (int i = 0; i < kThreads / kWarp; ++i) total += partial[i];
  return total;
}

// 1 / rms of x (n floats) with eps, as the CPU computes it (double sum).
template <int kThreads>
__device__ __forceinline__ float rms_scale(const float* x, int64_t n, float eps) {
  double ss = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const double v = x[i];
    ss += v * v;
  }
  ss = block_sum<kThreads>(ss);
  return static_cast<float>(1.0 / sqrt(ss / static_cast<double>(n) + static_cast<double>(eps)));
}

__device__ __forceinline__ float silu_mul(float g, float u) {
  return __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), u);
}

}  // namespace impetus::cuda
