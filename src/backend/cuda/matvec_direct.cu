// The direct matrix-vector kernels for decode (1..8 tokens): one warp per
// output row, every lane reading its share of the row straight from global
// memory (no shared-memory staging, no block-wide barrier), so that many
// small blocks keep the SMs full and every load is independent.
//
// Q4_0 / Q8_0 (device layout of repack.h): lane l takes blocks l, l+32, ...
// of the row: its 16 or 32 quant bytes as 16-byte loads (the warp reads 512
// or 1024 contiguous bytes per step) and its f16 scale; 4 blocks per lane
// (per row) are loaded before the first is used. The products with the Q8
// activations are dp4a integer dot products per block, scaled in float as
// the CPU reference does (backend/cpu/kernels_scalar.cc):
// sum_b (d_w * d_a) * isum_b.
// Float weights (F16, BF16, F32; 16-byte aligned rows): lane l takes the
// 16-byte pieces l, l+32, ... and F32 activations.
// With one token a warp takes two consecutive rows of Q4_0/Q8_0 weights,
// each activation load serving both, and float kernels keep 2 pieces per
// lane in flight (the settings below).
// Per-lane sums are added across the warp in a fixed order. A fused SwiGLU
// epilogue (kernels.h) runs in the warps that complete 32-row groups. The first
// loads of weights are issued before waiting for the previous kernel
// (programmatic dependent launch, launch.cuh): no kernel writes weights.
#include <cstdlib>

#include "backend/cuda/act_quant.cuh"
#include "backend/cuda/launch.cuh"
#include "backend/cuda/matvec_items.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / kWarp;

// The fused SwiGLU epilogue (kernels.h): after its row is stored, the warp
// counts it in its group of 32 rows; the warp completing the group (32 rows
// of each weight) computes and quantizes the group's 32 outputs, exactly as
// the SwiGLU kernel would, and resets the counter.
__device__ __forceinline__ void swiglu_epilogue(const KernelParams& p, int64_t row) {
  const int lane = threadIdx.x & (kWarp - 1);
  const int64_t group = row / 32;
  int last = 0;
  if (lane == 0) {
    __threadfence();  // this row's y is visible before it is counted
    last = atomicAdd(&p.counters[group], 1) == 2 * 32 - 1;
  }
  if (__shfl_sync(0xffffffffu, last, 0) == 0) return;
  __threadfence();
  const int64_t i = 32 * group + lane;
  const float h = silu_mul(__ldcg(p.ws[0].y + i), __ldcg(p.ws[1].y + i));
  p.swiglu_out[i] = h;
  if (p.swiglu_qs != nullptr) quantize_block_warp(h, i, group, p.swiglu_qs, p.swiglu_meta);
  if (lane == 0) p.counters[group] = 0;
}

// Writes a warp's sums for one row (lane 0) and adds them to the residual.
template <int MAXT>
__device__ __forceinline__ void store_row(const KernelParams& p, const MatvecWeight& W, int64_t row,
                                          float (&acc)[MAXT]) {
#pragma unroll
  for (int t = 0; t < MAXT; ++t) {
    if (t < p.nt) {
      const float s = warp_sum(acc[t]);
      if ((threadIdx.x & (kWarp - 1)) == 0) {
        const int64_t idx = t * W.n_out + row;
        W.y[idx] = s;
        if (p.residual != nullptr) p.residual[idx] += s;
      }
    }
  }
  if (MAXT == 1 && p.swiglu_out != nullptr) swiglu_epilogue(p, row);
}

// Integer dot product of one block's 32 quants with 32 int8 activations
// (a0: elements 0..15, a1: 16..31).
template <DType T>
__device__ __forceinline__ int block_isum(const uint32_t* q, const int4& a0, const int4& a1) {
  if constexpr (T == DType::kQ4_0) {
    int s = __dp4a(static_cast<int>(q[0] & 0x0f0f0f0fu), a0.x, 0);
    s = __dp4a(static_cast<int>(q[1] & 0x0f0f0f0fu), a0.y, s);
    s = __dp4a(static_cast<int>(q[2] & 0x0f0f0f0fu), a0.z, s);
    s = __dp4a(static_cast<int>(q[3] & 0x0f0f0f0fu), a0.w, s);
    s = __dp4a(static_cast<int>((q[0] >> 4) & 0x0f0f0f0fu), a1.x, s);
    s = __dp4a(static_cast<int>((q[1] >> 4) & 0x0f0f0f0fu), a1.y, s);
    s = __dp4a(static_cast<int>((q[2] >> 4) & 0x0f0f0f0fu), a1.z, s);
    return __dp4a(static_cast<int>((q[3] >> 4) & 0x0f0f0f0fu), a1.w, s);
  } else {
    int s = __dp4a(static_cast<int>(q[0]), a0.x, 0);
    s = __dp4a(static_cast<int>(q[1]), a0.y, s);
    s = __dp4a(static_cast<int>(q[2]), a0.z, s);
    s = __dp4a(static_cast<int>(q[3]), a0.w, s);
    s = __dp4a(static_cast<int>(q[4]), a1.x, s);
    s = __dp4a(static_cast<int>(q[5]), a1.y, s);
    s = __dp4a(static_cast<int>(q[6]), a1.z, s);
    return __dp4a(static_cast<int>(q[7]), a1.w, s);
  }
}

// The sums acc[r][t] of R weight rows (qrow[r]; Q4_0/Q8_0, nb blocks each)
// with the Q8 activations of nt tokens: lane l takes blocks l, l + 32, ...,
// kUnroll blocks per row loaded before the first is used. With `wait`, the
// first loads are issued before waiting for the previous kernel (which
// writes the activations). Sums are per lane (the caller adds the warp).
template <DType T, int MAXT, int ALIGN, int kUnroll, int R>
__device__ __forceinline__ void dot_rows(const uint8_t* const (&qrow)[R], int nb, int nt, int64_t n_in,
                                         const int8_t* act, const float2* meta, bool wait, float (&acc)[R][MAXT]) {
  constexpr int kQB = T == DType::kQ4_0 ? 16 : 32;
  constexpr int kW = WordCount<kQB>::value;
  const int lane = threadIdx.x & (kWarp - 1);
  for (int b0 = 0; b0 < nb; b0 += kWarp * kUnroll) {
    uint32_t q[R][kUnroll][kW];
    float dw[R][kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int b = b0 + lane + kWarp * u;
      if (b < nb) {
#pragma unroll
        for (int r = 0; r < R; ++r) {
          load_words<kQB, ALIGN>(qrow[r] + static_cast<int64_t>(b) * kQB, q[r][u]);
          const uint8_t* drow = qrow[r] + static_cast<int64_t>(nb) * kQB;
          dw[r][u] = f16_bits(__ldcs(reinterpret_cast<const unsigned short*>(drow) + b));
        }
      }
    }
    if (wait && b0 == 0) {  // activations come from the previous kernel
      wait_for_previous_grid();
      allow_next_grid();
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int b = b0 + lane + kWarp * u;
      if (b < nb) {
#pragma unroll
        for (int t = 0; t < MAXT; ++t) {
          if (t < nt) {
            const int8_t* a = act + t * n_in + 32 * static_cast<int64_t>(b);
            const int4 a0 = load_act(a, 0), a1 = load_act(a, 1);
            const float2 md = meta[t * nb + b];
#pragma unroll
            for (int r = 0; r < R; ++r) {
              int isum = block_isum<T>(q[r][u], a0, a1);
              if constexpr (T == DType::kQ4_0) isum -= 8 * static_cast<int>(md.y);
              acc[r][t] += (dw[r][u] * md.x) * static_cast<float>(isum);
            }
          }
        }
      }
    }
  }
}

// R consecutive rows per warp (R = 1 or 2): each activation load serves
// R rows.
template <DType T, int MAXT, int ALIGN, int kUnroll, int R>
__global__ void __launch_bounds__(kThreads) matvec_quant_direct_kernel(KernelParams p) {
  const int wi = matvec_weight_index(p);
  const MatvecWeight W = matvec_weight(p, wi);
  const int64_t row0 = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * (kWarps * R) +
                       threadIdx.x / kWarp * R;
  if (row0 >= W.n_out) return;
  const uint8_t* qrow[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {  // a row past the end reads the last one (its sums are dropped)
    qrow[r] = static_cast<const uint8_t*>(W.w) + min(row0 + r, W.n_out - 1) * W.row_bytes;
  }
  float acc[R][MAXT];
#pragma unroll
  for (int r = 0; r < R; ++r) {
#pragma unroll
    for (int t = 0; t < MAXT; ++t) acc[r][t] = 0.0f;
  }
  dot_rows<T, MAXT, ALIGN, kUnroll, R>(qrow, static_cast<int>(p.n_in / 32), p.nt, p.n_in,
                                       static_cast<const int8_t*>(p.act), p.meta, true, acc);
#pragma unroll
  for (int r = 0; r < R; ++r) {
    if (row0 + r < W.n_out) store_row<MAXT>(p, W, row0 + r, acc[r]);
  }
}

// One-token gate/up products of Q4_0/Q8_0 weights with the SwiGLU (and its
// Q8 form) fused, without counters: a block of kSwWarps warps computes 32
// consecutive outputs i of both weights (warp w takes outputs w, w +
// kSwWarps, ...; gate row i and up row i share each activation load, as
// the two rows of the plain kernel do, and sum in the same order), then
// warp 0 applies SwiGLU to the 32 outputs and quantizes them as one Q8
// block: what the separate SwiGLU kernel computes, one kernel less.
constexpr int kSwWarps = 8;
constexpr int kSwThreads = kSwWarps * kWarp;

template <DType T>
__global__ void __launch_bounds__(kSwThreads) matvec_swiglu_kernel(KernelParams p) {
  __shared__ float g_s[kWarp], u_s[kWarp];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t i0 = static_cast<int64_t>(blockIdx.x) * kWarp;
  for (int o = warp; o < kWarp; o += kSwWarps) {
    const int64_t i = i0 + o;
    const uint8_t* qrow[2] = {static_cast<const uint8_t*>(p.ws[0].w) + i * p.ws[0].row_bytes,
                              static_cast<const uint8_t*>(p.ws[1].w) + i * p.ws[1].row_bytes};
    float acc[2][1] = {{0.0f}, {0.0f}};
    dot_rows<T, 1, 16, 4, 2>(qrow, static_cast<int>(p.n_in / 32), 1, p.n_in, static_cast<const int8_t*>(p.act),
                             p.meta, o == warp, acc);
    const float g = warp_sum(acc[0][0]), u = warp_sum(acc[1][0]);
    if (lane == 0) {
      g_s[o] = g;
      u_s[o] = u;
      p.ws[0].y[i] = g;
      p.ws[1].y[i] = u;
    }
  }
  __syncthreads();
  if (warp == 0) {
    const int64_t i = i0 + lane;
    const float h = silu_mul(g_s[lane], u_s[lane]);
    p.swiglu_out[i] = h;
    if (p.swiglu_qs != nullptr) quantize_block_warp(h, i, i / 32, p.swiglu_qs, p.swiglu_meta);
  }
}

template <DType T>
__device__ __forceinline__ void piece_pairs(const uint4& v, float2 (&w)[4]) {
  const uint32_t x[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (T == DType::kF16) {
      w[i] = __half22float2(*reinterpret_cast<const __half2*>(&x[i]));
    } else {
      w[i] = make_float2(__uint_as_float(x[i] << 16), __uint_as_float(x[i] & 0xffff0000u));
    }
  }
}

// A 16-byte piece of weights dotted with its F32 activations (a0, and a1
// for 16-bit types).
template <DType T>
__device__ __forceinline__ float piece_dot(const uint4& v, const float4& a0, const float4& a1) {
  if constexpr (T == DType::kF32) {
    const float4 a = a0;
    float s = __uint_as_float(v.x) * a.x;
    s = fmaf(__uint_as_float(v.y), a.y, s);
    s = fmaf(__uint_as_float(v.z), a.z, s);
    return fmaf(__uint_as_float(v.w), a.w, s);
  } else {
    float2 w[4];
    piece_pairs<T>(v, w);
    float s = w[0].x * a0.x;
    s = fmaf(w[0].y, a0.y, s);
    s = fmaf(w[1].x, a0.z, s);
    s = fmaf(w[1].y, a0.w, s);
    s = fmaf(w[2].x, a1.x, s);
    s = fmaf(w[2].y, a1.y, s);
    s = fmaf(w[3].x, a1.z, s);
    return fmaf(w[3].y, a1.w, s);
  }
}

template <DType T, int MAXT, int kUnroll, int R>
__global__ void __launch_bounds__(kThreads) matvec_float_direct_kernel(KernelParams p) {
  constexpr int kEP = T == DType::kF32 ? 4 : 8;  // elements per 16-byte piece
  const int wi = matvec_weight_index(p);
  const MatvecWeight W = matvec_weight(p, wi);
  const int lane = threadIdx.x & (kWarp - 1);
  const int64_t row0 = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * (kWarps * R) +
                       threadIdx.x / kWarp * R;
  if (row0 >= W.n_out) return;
  const int n_pieces = static_cast<int>(p.n_in / kEP);
  const uint4* wrow[R];
#pragma unroll
  for (int r = 0; r < R; ++r) {
    wrow[r] = reinterpret_cast<const uint4*>(static_cast<const uint8_t*>(W.w) +
                                             min(row0 + r, W.n_out - 1) * W.row_bytes);
  }
  const float* x = static_cast<const float*>(p.act);
  float acc[R][MAXT];
#pragma unroll
  for (int r = 0; r < R; ++r) {
#pragma unroll
    for (int t = 0; t < MAXT; ++t) acc[r][t] = 0.0f;
  }
  for (int k0 = 0; k0 < n_pieces; k0 += kWarp * kUnroll) {
    uint4 w[R][kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int k = k0 + lane + kWarp * u;
      if (k < n_pieces) {
#pragma unroll
        for (int r = 0; r < R; ++r) w[r][u] = __ldcs(wrow[r] + k);
      }
    }
    if (k0 == 0) {
      wait_for_previous_grid();
      allow_next_grid();
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int k = k0 + lane + kWarp * u;
      if (k < n_pieces) {
#pragma unroll
        for (int t = 0; t < MAXT; ++t) {
          if (t < p.nt) {
            const float4* xv = reinterpret_cast<const float4*>(x + t * p.n_in + static_cast<int64_t>(k) * kEP);
            const float4 a0 = xv[0], a1 = kEP == 8 ? xv[1] : a0;
#pragma unroll
            for (int r = 0; r < R; ++r) acc[r][t] += piece_dot<T>(w[r][u], a0, a1);
          }
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < R; ++r) {
    if (row0 + r < W.n_out) store_row<MAXT>(p, W, row0 + r, acc[r]);
  }
}

template <typename K1, typename K8>
void launch_by_tokens(const KernelParams& p, int rows1, K1 k1, K8 k8, cudaStream_t stream) {
  KernelParams q = p;
  if (q.nt == 1) {
    const unsigned grid = assign_blocks(q, kWarps * rows1);
    launch_kernel(k1, grid, kThreads, 0, stream, q);
  } else {
    const unsigned grid = assign_blocks(q, kWarps);
    launch_kernel(k8, grid, kThreads, 0, stream, q);
  }
}

// Settings of the one-token kernels, measured on an H100 (docs/performance.md):
// rows per warp (2: each activation load serves two rows) and blocks or
// pieces per lane loaded before the first is used. Defaults: Q4_0/Q8_0 two
// rows and 4 blocks, float weights one row and 2 pieces; the environment
// (IMPETUS_CUDA_DIRECT_ROWS=1|2, IMPETUS_CUDA_DIRECT_UNROLL=2|4) overrides
// both.
int env_choice(const char* name, int a, int b) {
  const char* v = std::getenv(name);
  if (v == nullptr) return 0;
  const int x = std::atoi(v);
  return x == a || x == b ? x : 0;
}
int rows_per_warp(bool quantized) {
  static const int env = env_choice("IMPETUS_CUDA_DIRECT_ROWS", 1, 2);
  return env != 0 ? env : (quantized ? 2 : 1);
}

int unroll_per_lane(bool quantized) {
  static const int env = env_choice("IMPETUS_CUDA_DIRECT_UNROLL", 2, 4);
  return env != 0 ? env : (quantized ? 4 : 2);
}

template <DType T>
void launch_quant(const MatvecArgs& a, cudaStream_t stream) {
  constexpr int kMax = static_cast<int>(kMatvecMaxTokens);
  const KernelParams p = make_params(a);
  if (!aligned(a, 16)) {
    launch_by_tokens(p, 1, matvec_quant_direct_kernel<T, 1, 2, 4, 1>, matvec_quant_direct_kernel<T, kMax, 2, 4, 1>,
                     stream);
    return;
  }
  const auto k8 = matvec_quant_direct_kernel<T, kMax, 16, 4, 1>;
  const int u = unroll_per_lane(true), r = rows_per_warp(true);
  if (u == 2 && r == 2) {
    launch_by_tokens(p, 2, matvec_quant_direct_kernel<T, 1, 16, 2, 2>, k8, stream);
  } else if (u == 2) {
    launch_by_tokens(p, 1, matvec_quant_direct_kernel<T, 1, 16, 2, 1>, k8, stream);
  } else if (r == 2) {
    launch_by_tokens(p, 2, matvec_quant_direct_kernel<T, 1, 16, 4, 2>, k8, stream);
  } else {
    launch_by_tokens(p, 1, matvec_quant_direct_kernel<T, 1, 16, 4, 1>, k8, stream);
  }
}

template <DType T>
bool launch_float(const MatvecArgs& a, cudaStream_t stream) {
  constexpr int kMax = static_cast<int>(kMatvecMaxTokens);
  constexpr int kEP = T == DType::kF32 ? 4 : 8;
  if (a.n_in % kEP != 0 || !aligned(a, 16) || reinterpret_cast<uintptr_t>(a.act) % 16 != 0) return false;
  const KernelParams p = make_params(a);
  const auto k8 = matvec_float_direct_kernel<T, kMax, 4, 1>;
  const int u = unroll_per_lane(false), r = rows_per_warp(false);
  if (u == 2 && r == 2) {
    launch_by_tokens(p, 2, matvec_float_direct_kernel<T, 1, 2, 2>, k8, stream);
  } else if (u == 2) {
    launch_by_tokens(p, 1, matvec_float_direct_kernel<T, 1, 2, 1>, k8, stream);
  } else if (r == 2) {
    launch_by_tokens(p, 2, matvec_float_direct_kernel<T, 1, 4, 2>, k8, stream);
  } else {
    launch_by_tokens(p, 1, matvec_float_direct_kernel<T, 1, 4, 1>, k8, stream);
  }
  return true;
}

}  // namespace

bool launch_matvec_direct(const MatvecArgs& a, cudaStream_t stream) {
  if (a.n_tok > kMatvecMaxTokens || a.prologue != Prologue::kNone) return false;
  if (a.swiglu_out != nullptr && a.n_tok != 1) return false;
  if (a.swiglu_out != nullptr && (a.type == DType::kQ4_0 || a.type == DType::kQ8_0) && aligned(a, 16) &&
      a.n_w == 2 && a.ws[0].n_out == a.ws[1].n_out && a.ws[0].n_out % 32 == 0) {
    const KernelParams p = make_params(a);
    const unsigned grid = static_cast<unsigned>(a.ws[0].n_out / 32);
    if (a.type == DType::kQ4_0) {
      launch_kernel(matvec_swiglu_kernel<DType::kQ4_0>, grid, kSwThreads, 0, stream, p);
    } else {
      launch_kernel(matvec_swiglu_kernel<DType::kQ8_0>, grid, kSwThreads, 0, stream, p);
    }
    return true;
  }
  if (a.swiglu_out != nullptr && a.counters == nullptr) return false;  // the counted epilogue needs them
  switch (a.type) {
    case DType::kQ4_0: launch_quant<DType::kQ4_0>(a, stream); return true;
    case DType::kQ8_0: launch_quant<DType::kQ8_0>(a, stream); return true;
    case DType::kF16: return launch_float<DType::kF16>(a, stream);
    case DType::kBF16: return launch_float<DType::kBF16>(a, stream);
    case DType::kF32: return launch_float<DType::kF32>(a, stream);
    default: return false;
  }
}

}  // namespace impetus::cuda
