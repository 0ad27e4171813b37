// The int8 tensor-core matrix product for batched decode: Q4_0 / Q8_0
// weights (device layout of repack.h) times up to kMatvecMaxBatch tokens of
// Q8 activations, reading every weight byte once.
//
// A block of 8 warps takes 16 output rows; warp w takes a contiguous eighth
// of the row's 32-element blocks. Per weight block, one mma.m16n8k32
// (s8 x s8 -> s32) per group of 8 tokens gives the exact integer dot
// products isum(row, token) of the block, which are then scaled in float
// as the CPU reference does: acc += (d_w * d_a) * isum (for Q4_0 the
// quants enter the product already centred, q - 8). The int8 fragments
// come straight from global memory: lane (g, t) of the warp (g = lane / 4,
// t = lane % 4) needs quant bytes 4t..4t+3 of rows g and g+8 (for Q4_0 the
// low nibbles of those bytes are elements 4t.., the high ones 16+4t..) and
// activation bytes 4t.. and 16+4t.. of token g. Weight loads run 2-4
// blocks ahead of their use, activations one block ahead (all of a block's
// loads issued before its first product). The warps' partial sums are
// added through shared memory in a fixed order: results do not depend on
// timing.
#include "backend/cuda/launch.cuh"
#include "backend/cuda/matvec_items.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / kWarp;
constexpr int kRows = 16;
constexpr int kMaxGroups = static_cast<int>(kMatvecMaxBatch / 8);

// One block's weight fragments of a lane: raw quant words and row scales.
template <DType T>
struct Frag {
  static constexpr int kWords = T == DType::kQ4_0 ? 2 : 4;
  uint32_t w[kWords];
  float d[2];  // rows g, g+8
};

template <DType T>
__device__ __forceinline__ void load_frag(const uint8_t* ra, const uint8_t* rb, int nb, int b, int t, Frag<T>& f) {
  constexpr int kQB = T == DType::kQ4_0 ? 16 : 32;
  const int64_t off = static_cast<int64_t>(b) * kQB + 4 * t;
  f.w[0] = __ldcs(reinterpret_cast<const uint32_t*>(ra + off));
  f.w[1] = __ldcs(reinterpret_cast<const uint32_t*>(rb + off));
  if constexpr (T == DType::kQ8_0) {
    f.w[2] = __ldcs(reinterpret_cast<const uint32_t*>(ra + off + 16));
    f.w[3] = __ldcs(reinterpret_cast<const uint32_t*>(rb + off + 16));
  }
  const int64_t doff = static_cast<int64_t>(nb) * kQB + 2 * b;
  f.d[0] = f16_bits(__ldcs(reinterpret_cast<const unsigned short*>(ra + doff)));
  f.d[1] = f16_bits(__ldcs(reinterpret_cast<const unsigned short*>(rb + doff)));
}

// The A fragment (16 rows x 32 elements, row-major s8) of one block.
template <DType T>
__device__ __forceinline__ void a_frag(const Frag<T>& f, uint32_t (&a)[4]) {
  if constexpr (T == DType::kQ4_0) {
    a[0] = __vsub4(f.w[0] & 0x0f0f0f0fu, 0x08080808u);
    a[1] = __vsub4(f.w[1] & 0x0f0f0f0fu, 0x08080808u);
    a[2] = __vsub4((f.w[0] >> 4) & 0x0f0f0f0fu, 0x08080808u);
    a[3] = __vsub4((f.w[1] >> 4) & 0x0f0f0f0fu, 0x08080808u);
  } else {
    a[0] = f.w[0];
    a[1] = f.w[1];
    a[2] = f.w[2];
    a[3] = f.w[3];
  }
}

__device__ __forceinline__ void mma_s8(const uint32_t (&a)[4], uint32_t b0, uint32_t b1, int (&c)[4]) {
  asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%10, %11, %12, %13};\n"
      : "=r"(c[0]), "=r"(c[1]), "=r"(c[2]), "=r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "r"(0), "r"(0), "r"(0), "r"(0));
}

// The activation side of block b for every token group: B fragments and
// the activation scales of the lane's two output columns (0 past the end).
template <int MAXG>
struct ActFrag {
  uint32_t b0[MAXG], b1[MAXG];
  float d0[MAXG], d1[MAXG];
};

template <int MAXG>
__device__ __forceinline__ void load_act_frag(const KernelParams& p, int nb, int b, int g, int t, ActFrag<MAXG>& f) {
  const int8_t* act = static_cast<const int8_t*>(p.act);
#pragma unroll
  for (int j = 0; j < MAXG; ++j) {
    const int tok = 8 * j + g, t0 = 8 * j + 2 * t;
    f.b0[j] = f.b1[j] = 0;
    if (tok < p.nt) {
      const int8_t* x = act + tok * p.n_in + 32 * static_cast<int64_t>(b) + 4 * t;
      f.b0[j] = *reinterpret_cast<const uint32_t*>(x);
      f.b1[j] = *reinterpret_cast<const uint32_t*>(x + 16);
    }
    f.d0[j] = t0 < p.nt ? p.meta[t0 * nb + b].x : 0.0f;
    f.d1[j] = t0 + 1 < p.nt ? p.meta[(t0 + 1) * nb + b].x : 0.0f;
  }
}

// Adds block b's products for every token group to acc. All loads of the
// block are issued before the first product waits on them.
template <DType T, int MAXG>
__device__ __forceinline__ void block_product(const KernelParams& p, const Frag<T>& f, const ActFrag<MAXG>& x,
                                              float (&acc)[MAXG][4]) {
  uint32_t a[4];
  a_frag<T>(f, a);
#pragma unroll
  for (int j = 0; j < MAXG; ++j) {
    if (8 * j < p.nt) {
      int c[4];
      mma_s8(a, x.b0[j], x.b1[j], c);
      acc[j][0] += (f.d[0] * x.d0[j]) * static_cast<float>(c[0]);
      acc[j][1] += (f.d[0] * x.d1[j]) * static_cast<float>(c[1]);
      acc[j][2] += (f.d[1] * x.d0[j]) * static_cast<float>(c[2]);
      acc[j][3] += (f.d[1] * x.d1[j]) * static_cast<float>(c[3]);
    }
  }
}

template <DType T, int MAXG>
__global__ void __launch_bounds__(kThreads) matvec_mma_kernel(KernelParams p) {
  constexpr int kDepth = MAXG >= 8 ? 2 : 4;  // weight blocks loaded ahead (registers allowing)
  __shared__ float part[kWarps][MAXG][4][kWarp];
  const int wi = matvec_weight_index(p);
  const MatvecWeight W = matvec_weight(p, wi);
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp, g = lane >> 2, t = lane & 3;
  const int64_t row0 = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * kRows;
  const int nb = static_cast<int>(p.n_in / 32);
  // Rows past the end read the last row (in bounds); their sums are dropped.
  const uint8_t* wbase = static_cast<const uint8_t*>(W.w);
  const uint8_t* ra = wbase + min(row0 + g, W.n_out - 1) * W.row_bytes;
  const uint8_t* rb = wbase + min(row0 + g + 8, W.n_out - 1) * W.row_bytes;
  const int per = (nb + kWarps - 1) / kWarps;
  const int kb0 = min(nb, warp * per), kb1 = min(nb, kb0 + per);

  float acc[MAXG][4];
#pragma unroll
  for (int j = 0; j < MAXG; ++j) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
  Frag<T> cur[kDepth];
#pragma unroll
  for (int u = 0; u < kDepth; ++u) {
    if (kb0 + u < kb1) load_frag<T>(ra, rb, nb, kb0 + u, t, cur[u]);
  }
  wait_for_previous_grid();  // activations come from the previous kernel
  allow_next_grid();
  for (int b = kb0; b < kb1; b += kDepth) {
    Frag<T> next[kDepth];
#pragma unroll
    for (int u = 0; u < kDepth; ++u) {
      if (b + kDepth + u < kb1) load_frag<T>(ra, rb, nb, b + kDepth + u, t, next[u]);
    }
    // Activations: one block ahead of its products.
    ActFrag<MAXG> xa, xb;
    if (b < kb1) load_act_frag<MAXG>(p, nb, b, g, t, xa);
#pragma unroll
    for (int u = 0; u < kDepth; u += 2) {
      if (b + u + 1 < kb1) load_act_frag<MAXG>(p, nb, b + u + 1, g, t, xb);
      if (b + u < kb1) block_product<T, MAXG>(p, cur[u], xa, acc);
      if (b + u + 2 < kb1 && u + 2 < kDepth) load_act_frag<MAXG>(p, nb, b + u + 2, g, t, xa);
      if (b + u + 1 < kb1) block_product<T, MAXG>(p, cur[u + 1], xb, acc);
    }
#pragma unroll
    for (int u = 0; u < kDepth; ++u) cur[u] = next[u];
  }
#pragma unroll
  for (int j = 0; j < MAXG; ++j) {
    if (8 * j < p.nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) part[warp][j][c][lane] = acc[j][c];
    }
  }
  __syncthreads();
  // Output (row r, token k): fragment element c = (r >= 8 ? 2 : 0) + (k & 1)
  // of lane 4 * (r % 8) + (k % 8) / 2 in group k / 8.
  for (int o = threadIdx.x; o < kRows * p.nt; o += kThreads) {
    const int r = o % kRows, k = o / kRows;
    const int64_t row = row0 + r;
    if (row >= W.n_out) continue;
    const int j = k / 8, c = (r >= 8 ? 2 : 0) + (k & 1), l = 4 * (r % 8) + (k % 8) / 2;
    float s = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) s += part[w][j][c][l];
    const int64_t idx = k * W.n_out + row;
    W.y[idx] = s;
    if (p.residual != nullptr) p.residual[idx] += s;
  }
}

template <DType T>
void launch_typed(const MatvecArgs& a, cudaStream_t stream) {
  KernelParams p = make_params(a);
  const unsigned grid = assign_blocks(p, kRows);
  if (p.nt <= 8) {
    launch_kernel(matvec_mma_kernel<T, 1>, grid, kThreads, 0, stream, p);
  } else if (p.nt <= 16) {
    launch_kernel(matvec_mma_kernel<T, 2>, grid, kThreads, 0, stream, p);
  } else if (p.nt <= 32) {
    launch_kernel(matvec_mma_kernel<T, 4>, grid, kThreads, 0, stream, p);
  } else {
    launch_kernel(matvec_mma_kernel<T, kMaxGroups>, grid, kThreads, 0, stream, p);
  }
}

}  // namespace

bool launch_matvec_mma(const MatvecArgs& a, cudaStream_t stream) {
  if (a.n_tok > kMatvecMaxBatch || a.prologue != Prologue::kNone || !aligned(a, 4)) return false;
  switch (a.type) {
    case DType::kQ4_0: launch_typed<DType::kQ4_0>(a, stream); return true;
    case DType::kQ8_0: launch_typed<DType::kQ8_0>(a, stream); return true;
    default: return false;
  }
}

}  // namespace impetus::cuda
