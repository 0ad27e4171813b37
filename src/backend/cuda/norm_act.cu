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

// Rows of up to 4096 * kChunks floats (n % 32 == 0, 16-byte aligned): 1024
// threads each hold kChunks float4 pieces of x and w in registers, so every
// load is issued at once (one block per row is latency-bound otherwise:
// decode normalizes a single row). The norm weights, which no kernel writes,
// are loaded before waiting for the previous kernel. A 32-element Q8 block
// is 8 consecutive threads' pieces; quantization matches quantize_block_warp.
constexpr int kRegThreads = 1024;

template <bool kQuant, int kChunks>
__global__ void __launch_bounds__(kRegThreads) rms_norm_reg_kernel(const float* x, const float* w, float eps,
                                                                   int64_t n, float* y, int8_t* qs,
                                                                   float2* meta) {
  const int64_t row = blockIdx.x;
  const int n4 = static_cast<int>(n / 4);
  float4 wv[kChunks], v[kChunks];
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const int i = threadIdx.x + c * kRegThreads;
    wv[c] = i < n4 ? reinterpret_cast<const float4*>(w)[i] : make_float4(0.f, 0.f, 0.f, 0.f);
  }
  wait_for_previous_grid();
  allow_next_grid();
  const float4* xr = reinterpret_cast<const float4*>(x + row * n);
  double ss = 0.0;
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const int i = threadIdx.x + c * kRegThreads;
    v[c] = i < n4 ? xr[i] : make_float4(0.f, 0.f, 0.f, 0.f);
    const double a = v[c].x, b = v[c].y, cc = v[c].z, d = v[c].w;
    ss += a * a + b * b + cc * cc + d * d;
  }
  ss = block_sum<kRegThreads>(ss);
  const float scale = static_cast<float>(1.0 / sqrt(ss / static_cast<double>(n) + static_cast<double>(eps)));
  float4* yr = reinterpret_cast<float4*>(y + row * n);
#pragma unroll
  for (int c = 0; c < kChunks; ++c) {
    const int i = threadIdx.x + c * kRegThreads;
    float4 o;
    o.x = __fmul_rn(__fmul_rn(v[c].x, scale), wv[c].x);
    o.y = __fmul_rn(__fmul_rn(v[c].y, scale), wv[c].y);
    o.z = __fmul_rn(__fmul_rn(v[c].z, scale), wv[c].z);
    o.w = __fmul_rn(__fmul_rn(v[c].w, scale), wv[c].w);
    if (i < n4) yr[i] = o;
    if constexpr (kQuant) {  // every lane takes part in the shuffles
      float amax = fmaxf(fmaxf(fabsf(o.x), fabsf(o.y)), fmaxf(fabsf(o.z), fabsf(o.w)));
#pragma unroll
      for (int m = 1; m < 8; m <<= 1) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, m));
      const float d = amax / 127.0f;
      const float id = d != 0.0f ? 1.0f / d : 0.0f;
      const int q0 = static_cast<int>(roundf(__fmul_rn(o.x, id)));
      const int q1 = static_cast<int>(roundf(__fmul_rn(o.y, id)));
      const int q2 = static_cast<int>(roundf(__fmul_rn(o.z, id)));
      const int q3 = static_cast<int>(roundf(__fmul_rn(o.w, id)));
      int sum = q0 + q1 + q2 + q3;
#pragma unroll
      for (int m = 1; m < 8; m <<= 1) sum += __shfl_xor_sync(0xffffffffu, sum, m);
      if (i < n4) {
        reinterpret_cast<char4*>(qs + row * n)[i] =
            make_char4(static_cast<signed char>(q0), static_cast<signed char>(q1), static_cast<signed char>(q2),
                       static_cast<signed char>(q3));
        if (i % 8 == 0) meta[row * (n / 32) + i / 8] = make_float2(d, static_cast<float>(sum));
      }
    }
  }
}

template <bool kQuant>
bool launch_rms_norm_reg(const float* x, const float* w, float eps, int64_t n, int64_t rows, float* y,
                         int8_t* qs, float2* meta, cudaStream_t stream) {
  const auto misaligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 != 0; };
  if (n < 1024 || n % 32 != 0 || n > 4 * 4 * kRegThreads || misaligned(x) || misaligned(w) || misaligned(y) ||
      reinterpret_cast<uintptr_t>(qs) % 4 != 0) {
    return false;
  }
  const unsigned grid = static_cast<unsigned>(rows);
  if (n <= 4 * kRegThreads) {
    launch_kernel(rms_norm_reg_kernel<kQuant, 1>, grid, kRegThreads, 0, stream, x, w, eps, n, y, qs, meta);
  } else if (n <= 8 * kRegThreads) {
    launch_kernel(rms_norm_reg_kernel<kQuant, 2>, grid, kRegThreads, 0, stream, x, w, eps, n, y, qs, meta);
  } else {
    launch_kernel(rms_norm_reg_kernel<kQuant, 4>, grid, kRegThreads, 0, stream, x, w, eps, n, y, qs, meta);
  }
  return true;
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
  if (qs != nullptr ? launch_rms_norm_reg<true>(x, w, eps, n, rows, y, qs, meta, stream)
                    : launch_rms_norm_reg<false>(x, w, eps, n, rows, y, nullptr, nullptr, stream)) {
    IMP_CUDA_CHECK_LAUNCH();
    return;
  }
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
