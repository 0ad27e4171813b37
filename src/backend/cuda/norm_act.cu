// Elementwise and per-row kernels on F32 activations: RMSNorm, SwiGLU,
// add, bias, and the Q8 activation quantizer (fused into RMSNorm and SwiGLU
// when a quantized matrix product reads their output next). Float results
// match the CPU ops (backend/cpu/*.cc) operation for operation.
#include "backend/cuda/act_quant.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 256;

// One block per row of n.
template <bool kQuant>
__global__ void __launch_bounds__(kThreads) rms_norm_kernel(const float* x, const float* w, float eps,
                                                            int64_t n, float* y, int8_t* qs,
                                                            float2* meta) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t row = blockIdx.x;
  const float* xr = x + row * n;
  float* yr = y + row * n;
  const float scale = rms_scale<kThreads>(xr, n, eps);
  if constexpr (!kQuant) {
    for (int64_t i = threadIdx.x; i < n; i += kThreads) yr[i] = __fmul_rn(__fmul_rn(xr[i], scale), w[i]);
  } else {
    const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
    for (int64_t b = warp; b < n / 32; b += kThreads / kWarp) {
      const int64_t i = 32 * b + lane;
      const float v = __fmul_rn(__fmul_rn(xr[i], scale), w[i]);
      yr[i] = v;
      quantize_block_warp(v, row * n + i, row * (n / 32) + b, qs, meta);
    }
  }
}

__global__ void swiglu_kernel(const float* gate, const float* up, float* out, int64_t n) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = silu_mul(gate[i], up[i]);
}

// One warp per 32-element block of the flattened rows (rows are a multiple of 32).
__global__ void swiglu_quant_kernel(const float* gate, const float* up, float* out, int64_t n_blocks,
                                    int8_t* qs, float2* meta) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t b = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  if (b >= n_blocks) return;
  const int64_t i = 32 * b + threadIdx.x % kWarp;
  const float v = silu_mul(gate[i], up[i]);
  out[i] = v;
  quantize_block_warp(v, i, b, qs, meta);
}

__global__ void quantize_kernel(const float* x, int64_t n_blocks, int8_t* qs, float2* meta) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t b = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  if (b >= n_blocks) return;
  const int64_t i = 32 * b + threadIdx.x % kWarp;
  quantize_block_warp(x[i], i, b, qs, meta);
}

__global__ void add_kernel(const float* a, const float* b, float* out, int64_t n) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

__global__ void add_bias_kernel(float* y, const float* bias, int64_t n, int64_t total) {
  wait_for_previous_grid();
  allow_next_grid();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < total) y[i] += bias[i % n];
}

unsigned blocks_for(int64_t threads) { return static_cast<unsigned>((threads + kThreads - 1) / kThreads); }

}  // namespace

void launch_quantize_q8(const float* x, int64_t n, int64_t rows, int8_t* qs, float2* meta,
                        cudaStream_t stream) {
  const int64_t n_blocks = n / 32 * rows;
  if (n_blocks == 0) return;
  launch_kernel(quantize_kernel, blocks_for(n_blocks * kWarp), kThreads, 0, stream, x, n_blocks, qs, meta);
  IMP_CUDA_CHECK_LAUNCH();
}

void launch_rms_norm(const float* x, const float* w, float eps, int64_t n, int64_t rows, float* y,
                     int8_t* qs, float2* meta, cudaStream_t stream) {
  if (rows == 0) return;
  if (qs != nullptr) {
    launch_kernel(rms_norm_kernel<true>, static_cast<unsigned>(rows), kThreads, 0, stream, x, w, eps, n, y, qs, meta);
  } else {
    launch_kernel(rms_norm_kernel<false>, static_cast<unsigned>(rows), kThreads, 0, stream, x, w, eps, n, y, nullptr,
                                                                                 nullptr);
  }
  IMP_CUDA_CHECK_LAUNCH();
}

void launch_swiglu(const float* gate, const float* up, float* out, int64_t n, int64_t rows,
                   int8_t* qs, float2* meta, cudaStream_t stream) {
  const int64_t total = n * rows;
  if (total == 0) return;
  if (qs != nullptr) {
    const int64_t n_blocks = total / 32;
    launch_kernel(swiglu_quant_kernel, blocks_for(n_blocks * kWarp), kThreads, 0, stream, gate, up, out, n_blocks, qs,
                                                                                 meta);
  } else {
    launch_kernel(swiglu_kernel, blocks_for(total), kThreads, 0, stream, gate, up, out, total);
  }
  IMP_CUDA_CHECK_LAUNCH();
}

void launch_add(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  launch_kernel(add_kernel, blocks_for(n), kThreads, 0, stream, a, b, out, n);
  IMP_CUDA_CHECK_LAUNCH();
}

void launch_add_bias(float* y, const float* bias, int64_t n, int64_t rows, cudaStream_t stream) {
  const int64_t total = n * rows;
  if (total == 0) return;
  launch_kernel(add_bias_kernel, blocks_for(total), kThreads, 0, stream, y, bias, n, total);
  IMP_CUDA_CHECK_LAUNCH();
}

}  // namespace impetus::cuda
