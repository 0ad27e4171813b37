// Matrix-vector products for decode (1..8 tokens; Q4_0/Q8_0 up to
// matvec_max_tokens): y = x . w^T with every weight byte read once. This
// file holds the entry point, which tries in order
//   the direct kernels (matvec_direct.cu: Q4_0/Q8_0 and 16-byte aligned
//   float rows) and, for Q4_0/Q8_0 from mma_min_tokens() tokens, the int8
//   tensor-core kernel (matvec_mma.cu);
//   the tile kernel (matvec_tile.cu: the K-quants and other aligned rows);
//   the kernels here for the other layouts:
//     block kernel (short legacy rows, n_in % 256 != 0, and Q6_K rows not a
//     multiple of 8 super-blocks): one thread per item, partial sums added
//     per row through shared memory in a fixed order;
//     generic kernel (unaligned views, float rows not a multiple of 32):
//     exact dequantization, F32 activations, one warp per row.
// The per-item dot products are in matvec_items.cuh. A fused prologue
// (kernels.h) the tile kernel cannot take runs first as its own kernel; a
// fused SwiGLU epilogue the direct kernel cannot take runs after the
// product as the SwiGLU kernel.
#include <algorithm>
#include <atomic>

#include "backend/cuda/launch.cuh"
#include "backend/cuda/matvec_items.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kSlots = 2 * kThreads;  // partial sums per block

__device__ __forceinline__ int weight_of_block(const KernelParams& p) {
  int wi = 0;
  if (p.n_w > 1 && static_cast<int>(blockIdx.x) >= p.block_begin[1]) wi = 1;
  if (p.n_w > 2 && static_cast<int>(blockIdx.x) >= p.block_begin[2]) wi = 2;
  return wi;
}

__device__ __forceinline__ MatvecWeight select_weight(const KernelParams& p, int wi) {
  return wi == 0 ? p.ws[0] : (wi == 1 ? p.ws[1] : p.ws[2]);
}

template <class Item, int MAXT, bool kQ8>
__global__ void __launch_bounds__(kThreads) matvec_kernel(KernelParams p) {
  wait_for_previous_grid();
  allow_next_grid();
  __shared__ float part[MAXT][kSlots];
  const int wi = weight_of_block(p);
  const MatvecWeight W = select_weight(p, wi);
  const int64_t row0 = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * p.R;
  const int rows = static_cast<int>(min(static_cast<int64_t>(p.R), W.n_out - row0));
  const int G = p.G, items = rows * G;
  const uint8_t* wbase = static_cast<const uint8_t*>(W.w) + row0 * W.row_bytes;

  float acc0[MAXT], acc1[MAXT];
#pragma unroll
  for (int t = 0; t < MAXT; ++t) acc0[t] = acc1[t] = 0.0f;
  for (int i0 = threadIdx.x; i0 < items; i0 += kSlots) {
    const int i1 = i0 + kThreads;
    const bool v1 = i1 < items;
    uint32_t w0[Item::kWords], w1[Item::kWords];
    const int r0 = i0 / G, g0 = i0 - r0 * G;
    const int r1 = i1 / G, g1 = i1 - r1 * G;
    Item::load(wbase + r0 * W.row_bytes + static_cast<int64_t>(g0) * Item::kBytes, w0);
    if (v1) Item::load(wbase + r1 * W.row_bytes + static_cast<int64_t>(g1) * Item::kBytes, w1);
    item_dot<Item, MAXT, kQ8>(w0, p, g0, acc0);
    if (v1) item_dot<Item, MAXT, kQ8>(w1, p, g1, acc1);
  }
#pragma unroll
  for (int t = 0; t < MAXT; ++t) {
    part[t][threadIdx.x] = acc0[t];
    part[t][threadIdx.x + kThreads] = acc1[t];
  }
  __syncthreads();
  const int n_slots = min(items, kSlots);
  const int per_row = p.R == 1 ? n_slots : G;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  for (int r = warp; r < rows; r += kThreads / kWarp) {
#pragma unroll
    for (int t = 0; t < MAXT; ++t) {
      if (t < p.nt) {
        float s = 0.0f;
        for (int j = lane; j < per_row; j += kWarp) s += part[t][r * per_row + j];
        s = warp_sum(s);
        if (lane == 0) {
          const int64_t idx = t * W.n_out + row0 + r;
          W.y[idx] = s;
          if (p.residual != nullptr) p.residual[idx] += s;
        }
      }
    }
  }
}

// Any supported type and shape: one warp per row, exact dequantization,
// F32 activations.
template <DType T>
__global__ void __launch_bounds__(kThreads) matvec_generic_kernel(KernelParams p) {
  wait_for_previous_grid();
  allow_next_grid();
  const int wi = weight_of_block(p);
  const MatvecWeight W = select_weight(p, wi);
  const int64_t r = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * (kThreads / kWarp) +
                    threadIdx.x / kWarp;
  const int lane = threadIdx.x % kWarp;
  if (r >= W.n_out) return;
  const uint8_t* row = static_cast<const uint8_t*>(W.w) + r * W.row_bytes;
  constexpr int kMaxT = static_cast<int>(kMatvecMaxTokens);
  float s[kMaxT];
#pragma unroll
  for (int t = 0; t < kMaxT; ++t) s[t] = 0.0f;
  if constexpr (kIsFloatType<T>) {
    for (int64_t e = lane; e < p.n_in; e += kWarp) {
      const float v = float_elem<T>(row, e);
#pragma unroll
      for (int t = 0; t < kMaxT; ++t) {
        if (t < p.nt) s[t] = fmaf(v, p.x[t * p.n_in + e], s[t]);
      }
    }
  } else {
    for (int64_t c = lane; c < p.n_in / 32; c += kWarp) {
      float y[32];
      quant_chunk<T>(row, c, p.n_in, y);
#pragma unroll
      for (int t = 0; t < kMaxT; ++t) {
        if (t < p.nt) {
          const float* xc = p.x + t * p.n_in + 32 * c;
#pragma unroll
          for (int j = 0; j < 32; ++j) s[t] = fmaf(y[j], xc[j], s[t]);
        }
      }
    }
  }
#pragma unroll
  for (int t = 0; t < kMaxT; ++t) {
    if (t < p.nt) {
      const float v = warp_sum(s[t]);
      if (lane == 0) {
        W.y[t * W.n_out + r] = v;
        if (p.residual != nullptr) p.residual[t * W.n_out + r] += v;
      }
    }
  }
}

template <class Item, bool kQ8>
void launch_items(KernelParams p, cudaStream_t stream) {
  p.G = static_cast<int>(p.n_in / Item::kElems);
  p.R = p.G >= kSlots ? 1 : kSlots / p.G;
  const unsigned grid = assign_blocks(p, p.R);
  if (p.nt == 1) {
    launch_kernel(matvec_kernel<Item, 1, kQ8>, grid, kThreads, 0, stream, p);
  } else {
    launch_kernel(matvec_kernel<Item, static_cast<int>(kMatvecMaxTokens), kQ8>, grid, kThreads, 0, stream, p);
  }
}

template <DType T>
void launch_generic(KernelParams p, cudaStream_t stream) {
  const unsigned grid = assign_blocks(p, kThreads / kWarp);
  launch_kernel(matvec_generic_kernel<T>, grid, kThreads, 0, stream, p);
}

template <DType T>
void launch_typed(const MatvecArgs& a, cudaStream_t stream) {
  const KernelParams p = make_params(a);
  if constexpr (kIsFloatType<T>) {
    launch_generic<T>(p, stream);  // rows the tile kernel cannot stream
  } else if constexpr (T == DType::kQ6_K) {
    if (aligned(a, 2)) {
      launch_items<KItem<T, 2>, true>(p, stream);
    } else {
      launch_generic<T>(p, stream);
    }
  } else if constexpr (T == DType::kQ4_K || T == DType::kQ5_K || T == DType::kQ4_0 || T == DType::kQ8_0) {
    launch_generic<T>(p, stream);  // Q4_0/Q8_0 (device layout) normally take matvec_direct.cu
  } else {
    if (aligned(a, 2)) {
      launch_items<LegacyItem<T, 1, 2>, true>(p, stream);
    } else {
      launch_generic<T>(p, stream);
    }
  }
}

// Runs a fused prologue as its own kernel (the product then reads act/meta).
void run_prologue_separately(const MatvecArgs& a, cudaStream_t stream) {
  if (a.prologue == Prologue::kQuantize) {
    launch_quantize_q8(a.pro_x, a.n_in, 1, static_cast<int8_t*>(const_cast<void*>(a.act)),
                       const_cast<float2*>(a.meta), stream);
  } else if (a.prologue == Prologue::kRmsNorm) {
    launch_rms_norm(a.pro_x, a.pro_w, a.pro_eps, a.n_in, 1, a.pro_y,
                    static_cast<int8_t*>(const_cast<void*>(a.act)), const_cast<float2*>(a.meta), stream);
  }
}

std::atomic<int64_t> g_mma_min{2};
std::atomic<int64_t> g_mma_max{kMatvecDefaultBatch};
std::atomic<int64_t> g_direct_float_max{kMatvecMaxTokens};

// The direct and tensor-core kernels (matvec_direct.cu, matvec_mma.cu) for
// the arguments they take; Q4_0/Q8_0 products of more tokens than the
// direct kernel takes and rows the tensor-core kernel cannot read run as
// direct products of 8 tokens at a time. False: another kernel must run.
bool launch_specialized(const MatvecArgs& a, cudaStream_t stream) {
  if (a.type == DType::kQ4_0 || a.type == DType::kQ8_0) {
    if (a.n_tok >= mma_min_tokens() && launch_matvec_mma(a, stream)) return true;
    const int64_t nb = a.n_in / 32;
    for (int64_t t0 = 0; t0 < a.n_tok; t0 += kMatvecMaxTokens) {
      MatvecArgs part = a;
      part.n_tok = std::min(kMatvecMaxTokens, a.n_tok - t0);
      part.act = static_cast<const int8_t*>(a.act) + t0 * a.n_in;
      part.meta = a.meta + t0 * nb;
      part.x = a.x != nullptr ? a.x + t0 * a.n_in : nullptr;
      for (int i = 0; i < a.n_w; ++i) part.ws[i].y = a.ws[i].y + t0 * a.ws[i].n_out;
      if (a.residual != nullptr) part.residual = a.residual + t0 * a.ws[0].n_out;
      IMP_CHECK(launch_matvec_direct(part, stream), "CUDA matvec: no kernel for ", dtype_name(a.type));
    }
    IMP_CUDA_CHECK_LAUNCH();
    return true;
  }
  return a.n_tok <= g_direct_float_max.load(std::memory_order_relaxed) && launch_matvec_direct(a, stream);
}

}  // namespace

KernelParams make_params(const MatvecArgs& a) {
  KernelParams p{};
  p.n_w = a.n_w;
  for (int i = 0; i < a.n_w; ++i) p.ws[i] = a.ws[i];
  p.n_in = a.n_in;
  p.nt = static_cast<int>(a.n_tok);
  p.act = a.act;
  p.meta = a.meta;
  p.x = a.x;
  p.residual = a.residual;
  p.prologue = a.prologue;
  p.pro_x = a.pro_x;
  p.pro_w = a.pro_w;
  p.pro_eps = a.pro_eps;
  p.pro_y = a.pro_y;
  p.swiglu_out = a.swiglu_out;
  p.swiglu_qs = a.swiglu_qs;
  p.swiglu_meta = a.swiglu_meta;
  p.counters = a.counters;
  return p;
}

bool aligned(const MatvecArgs& a, int bytes) {
  for (int i = 0; i < a.n_w; ++i) {
    if (reinterpret_cast<uintptr_t>(a.ws[i].w) % bytes != 0 || a.ws[i].row_bytes % bytes != 0) return false;
  }
  return true;
}

// Fills block_begin for `rows_per_block` rows per block; returns the grid size.
unsigned assign_blocks(KernelParams& p, int64_t rows_per_block) {
  int64_t total = 0;
  for (int i = 0; i < p.n_w; ++i) {
    p.block_begin[i] = static_cast<int>(total);
    total += (p.ws[i].n_out + rows_per_block - 1) / rows_per_block;
  }
  return static_cast<unsigned>(total);
}

void set_mma_tokens(int64_t min_tokens, int64_t max_tokens) {
  g_mma_min.store(std::max<int64_t>(min_tokens, 1));
  g_mma_max.store(std::clamp<int64_t>(max_tokens, kMatvecMaxTokens, kMatvecMaxBatch));
}
int64_t mma_min_tokens() { return g_mma_min.load(std::memory_order_relaxed); }
int64_t mma_max_tokens() { return g_mma_max.load(std::memory_order_relaxed); }
void set_direct_float_max(int64_t n_tok) { g_direct_float_max.store(n_tok); }

int64_t matvec_max_tokens(DType type) {
  return type == DType::kQ4_0 || type == DType::kQ8_0 ? mma_max_tokens() : kMatvecMaxTokens;
}

void launch_matvec(const MatvecArgs& a, cudaStream_t stream) {
  IMP_CHECK(a.n_w >= 1 && a.n_w <= kMatvecMaxWeights && a.n_tok >= 1 && a.n_tok <= matvec_max_tokens(a.type),
            "CUDA matvec: bad arguments");
  IMP_CHECK(a.residual == nullptr || a.n_w == 1, "CUDA matvec: residual needs a single weight");
  IMP_CHECK(a.prologue == Prologue::kNone || (a.n_tok == 1 && takes_q8(a.type)),
            "CUDA matvec: a prologue needs one token and Q8 activations");
  IMP_CHECK(type_supported(a.type), "CUDA matvec: unsupported type ", dtype_name(a.type));
  if (a.swiglu_out != nullptr) {
    IMP_CHECK(a.n_w == 2 && a.n_tok == 1 && a.ws[0].n_out == a.ws[1].n_out && a.ws[0].n_out % 32 == 0 &&
                  a.ws[0].n_out / 32 <= kMatvecCounters,
              "CUDA matvec: bad SwiGLU epilogue");
    if (a.prologue == Prologue::kNone && launch_matvec_direct(a, stream)) return;
    MatvecArgs product = a;
    product.swiglu_out = nullptr;
    launch_matvec(product, stream);
    launch_swiglu(a.ws[0].y, a.ws[1].y, a.swiglu_out, a.ws[0].n_out, 1, a.swiglu_qs, a.swiglu_meta, stream);
    return;
  }
  if (a.prologue != Prologue::kNone && launch_matvec_tile(a, stream)) return;
  run_prologue_separately(a, stream);
  MatvecArgs plain = a;
  plain.prologue = Prologue::kNone;
  if (launch_specialized(plain, stream)) return;
  if (launch_matvec_tile(plain, stream)) return;
  dispatch_type(a.type, [&]<DType T>() { launch_typed<T>(plain, stream); });
  IMP_CUDA_CHECK_LAUNCH();
}

}  // namespace impetus::cuda
