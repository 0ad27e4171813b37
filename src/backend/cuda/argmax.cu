// Per-row argmax for greedy decoding, so that a step copies one id per row
// to the host instead of the row's logits. One 1024-thread block per row:
// each thread scans a strided share keeping the first largest value, then
// the block reduces (value, index) pairs with core/argmax.h's rule (larger
// value, or equal value and lower index; NaN never taken; a row with
// nothing above -inf gives 0).
#include <cmath>

#include "backend/cuda/device_common.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 1024;

__device__ __forceinline__ bool beats(float v, int i, float bv, int bi) { return v > bv || (v == bv && i < bi); }

__device__ __forceinline__ void warp_best(float& v, int& i) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, v, o);
    const int oi = __shfl_xor_sync(0xffffffffu, i, o);
    if (beats(ov, oi, v, i)) {
      v = ov;
      i = oi;
    }
  }
}

__global__ void __launch_bounds__(kThreads) argmax_kernel(const float* x, int64_t n, int32_t* ids) {
  wait_for_previous_grid();
  allow_next_grid();
  __shared__ float warp_v[kThreads / kWarp];
  __shared__ int warp_i[kThreads / kWarp];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * n;
  float bv = -INFINITY;
  int bi = 0;
  for (int64_t i = threadIdx.x; i < n; i += kThreads) {
    const float v = row[i];
    if (v > bv) {  // increasing i: the first of equal values stays
      bv = v;
      bi = static_cast<int>(i);
    }
  }
  warp_best(bv, bi);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  if (lane == 0) {
    warp_v[warp] = bv;
    warp_i[warp] = bi;
  }
  __syncthreads();
  if (warp == 0) {
    bv = warp_v[lane];
    bi = warp_i[lane];
    warp_best(bv, bi);
    if (lane == 0) ids[blockIdx.x] = bi;
  }
}

}  // namespace

void launch_argmax(const float* x, int64_t n, int64_t rows, int32_t* ids, cudaStream_t stream) {
  if (rows == 0) return;
  launch_kernel(argmax_kernel, static_cast<unsigned>(rows), kThreads, 0, stream, x, n, ids);
  IMP_CUDA_CHECK_LAUNCH();
}

}  // namespace impetus::cuda
