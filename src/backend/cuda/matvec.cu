// Matrix-vector products for decode (1..8 tokens): y = x . w^T with every
// weight byte read once. The per-item dot products are in matvec_items.cuh.
//
// Tile kernel (rows whose bytes are 16-byte aligned: every real model): a
// block of 8 warps takes 32 consecutive rows and streams them through shared
// memory in chunks of a few items per row, 3 stages deep, with cp.async
// 16-byte copies (each warp instruction moves 512 contiguous bytes: fully
// coalesced). Lane r of every warp then dots row r's items (warp w takes
// items w, w+8, ...) with the activations, which all lanes read at the same
// address (a broadcast); rows are padded in shared memory so that the 32
// lanes' 16-byte reads hit distinct banks. The 8 warps' sums are added in
// a fixed order at the end: results do not depend on timing.
//
// Block kernel (short legacy rows, n_in % 256 != 0, and Q6_K rows not a
// multiple of 8 super-blocks): one thread per item, partial sums added per
// row through shared memory. Generic kernel (unaligned views, float rows not
// a multiple of 32): exact dequantization, F32 activations, one warp per row.
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

constexpr int kTileRows = 32;
constexpr int kStages = 3;
constexpr int kWarps = kThreads / kWarp;

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  const unsigned s = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

template <class Item, int MAXT, bool kQ8>
__global__ void __launch_bounds__(kThreads) matvec_tile_kernel(KernelParams p) {
  extern __shared__ __align__(16) uint8_t tile[];
  const int wi = weight_of_block(p);
  const MatvecWeight W = select_weight(p, wi);
  const int64_t row0 = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * kTileRows;
  const int rows = static_cast<int>(min(static_cast<int64_t>(kTileRows), W.n_out - row0));
  const uint8_t* gw = static_cast<const uint8_t*>(W.w) + row0 * W.row_bytes;
  const int G = p.G, CI = p.chunk_items, stride = p.stride;
  const int n_chunks = (G + CI - 1) / CI;
  const int buf_bytes = kTileRows * stride;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;

  // Copies chunk c of every row into stage c % kStages (one commit group,
  // empty past the last chunk so that the group count stays regular).
  auto issue = [&](int c) {
    if (c < n_chunks) {
      const int pieces = min(CI, G - c * CI) * Item::kBytes / 16;
      uint8_t* buf = tile + (c % kStages) * buf_bytes;
      const uint8_t* src = gw + static_cast<int64_t>(c) * CI * Item::kBytes;
      for (int q = threadIdx.x; q < rows * pieces; q += kThreads) {
        const int r = q / pieces, k = q - r * pieces;
        cp_async16(buf + r * stride + 16 * k, src + r * W.row_bytes + 16 * k);
      }
    }
    cp_async_commit();
  };

  float acc[MAXT];
#pragma unroll
  for (int t = 0; t < MAXT; ++t) acc[t] = 0.0f;
  // The first stages hold only weights, which no kernel writes: start them
  // before waiting for the previous kernel (activations, residual).
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) issue(s);
  wait_for_previous_grid();
  allow_next_grid();
  for (int c = 0; c < n_chunks; ++c) {
    issue(c + kStages - 1);
    cp_async_wait<kStages - 1>();
    __syncthreads();
    if (lane < rows) {
      const int items = min(CI, G - c * CI);
      const uint8_t* row = tile + (c % kStages) * buf_bytes + lane * stride;
      for (int it = warp; it < items; it += kWarps) {
        uint32_t w[Item::kWords];
        Item::load_shared(row + it * Item::kBytes, w);
        item_dot<Item, MAXT, kQ8>(w, p, c * CI + it, acc);
      }
    }
    __syncthreads();  // the stage is refilled next iteration
  }
  float* part = reinterpret_cast<float*>(tile);  // [warp][token][lane]
#pragma unroll
  for (int t = 0; t < MAXT; ++t) part[(warp * MAXT + t) * kWarp + lane] = acc[t];
  __syncthreads();
  if (warp == 0 && lane < rows) {
#pragma unroll
    for (int t = 0; t < MAXT; ++t) {
      if (t < p.nt) {
        float s = 0.0f;
#pragma unroll
        for (int w = 0; w < kWarps; ++w) s += part[(w * MAXT + t) * kWarp + lane];
        const int64_t idx = t * W.n_out + row0 + lane;
        W.y[idx] = s;
        if (p.residual != nullptr) p.residual[idx] += s;
      }
    }
  }
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
      quant_chunk<T>(row, c, y);
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

// Items per chunk: about 1 KiB of each row per stage.
template <class Item>
constexpr int tile_chunk_items() {
  return Item::kBytes >= 256 ? 4 : (Item::kBytes >= 128 ? 8 : 16);
}

// Whether the tile kernel can stream these rows: 16-byte aligned rows and
// chunks (every chunk's bytes a multiple of 16).
template <class Item>
bool tile_fits(const MatvecArgs& a) {
  const int64_t G = a.n_in / Item::kElems;
  return aligned(a, 16) && (Item::kBytes % 16 == 0 || G % tile_chunk_items<Item>() == 0);
}

template <class Item, int MAXT, bool kQ8>
void launch_tile_kernel(const KernelParams& p, unsigned grid, size_t smem, cudaStream_t stream) {
  static bool configured = false;  // dynamic shared memory above 48 KiB must be allowed once
  if (!configured) {
    IMP_CUDA_CHECK(cudaFuncSetAttribute(matvec_tile_kernel<Item, MAXT, kQ8>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
    configured = true;
  }
  launch_kernel(matvec_tile_kernel<Item, MAXT, kQ8>, grid, kThreads, smem, stream, p);
}

template <class Item, bool kQ8>
void launch_tile(KernelParams p, cudaStream_t stream) {
  p.G = static_cast<int>(p.n_in / Item::kElems);
  p.chunk_items = tile_chunk_items<Item>();
  const int chunk_bytes = p.chunk_items * Item::kBytes;
  // An odd number of 16-byte units between rows: lanes' reads spread over the banks.
  p.stride = chunk_bytes + ((chunk_bytes / 16) % 2 == 0 ? 16 : 32);
  const size_t smem = static_cast<size_t>(kStages) * kTileRows * p.stride;
  const unsigned grid = assign_blocks(p, kTileRows);
  if (p.nt == 1) {
    launch_tile_kernel<Item, 1, kQ8>(p, grid, smem, stream);
  } else {
    launch_tile_kernel<Item, static_cast<int>(kMatvecMaxTokens), kQ8>(p, grid, smem, stream);
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
    if (a.n_in % 32 == 0 && tile_fits<FloatItem<T>>(a) && reinterpret_cast<uintptr_t>(a.act) % 16 == 0) {
      launch_tile<FloatItem<T>, false>(p, stream);
    } else {
      launch_generic<T>(p, stream);
    }
  } else if constexpr (T == DType::kQ4_K || T == DType::kQ5_K) {
    if (tile_fits<KItem<T, 16>>(a)) {
      launch_tile<KItem<T, 16>, true>(p, stream);
    } else {
      launch_generic<T>(p, stream);
    }
  } else if constexpr (T == DType::kQ6_K) {
    if (tile_fits<KItem<T, 2>>(a)) {
      launch_tile<KItem<T, 2>, true>(p, stream);
    } else if (aligned(a, 2)) {
      launch_items<KItem<T, 2>, true>(p, stream);
    } else {
      launch_generic<T>(p, stream);
    }
  } else {
    if (a.n_in % 256 == 0 && tile_fits<LegacyItem<T, 8, 16>>(a)) {
      launch_tile<LegacyItem<T, 8, 16>, true>(p, stream);
    } else if (aligned(a, 2)) {
      launch_items<LegacyItem<T, 1, 2>, true>(p, stream);
    } else {
      launch_generic<T>(p, stream);
    }
  }
}

}  // namespace

void launch_matvec(const MatvecArgs& a, cudaStream_t stream) {
  IMP_CHECK(a.n_w >= 1 && a.n_w <= kMatvecMaxWeights && a.n_tok >= 1 && a.n_tok <= kMatvecMaxTokens,
            "CUDA matvec: bad arguments");
  IMP_CHECK(a.residual == nullptr || a.n_w == 1, "CUDA matvec: residual needs a single weight");
  const bool ok = dispatch_type(a.type, [&]<DType T>() { launch_typed<T>(a, stream); });
  IMP_CHECK(ok, "CUDA matvec: unsupported type ", dtype_name(a.type));
  IMP_CUDA_CHECK_LAUNCH();
}

}  // namespace impetus::cuda
