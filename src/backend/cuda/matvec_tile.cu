// The tile kernel of the matrix-vector products (rows whose bytes are
// 16-byte aligned: every real model's weights).
//
// A block of 8 warps takes 32 consecutive rows and streams them through
// shared memory in chunks of a few items per row, double-buffered: on
// Hopper with bulk copies (cp.async.bulk, one per row and chunk, completing
// on an mbarrier), elsewhere with 16-byte cp.async copies (fully coalesced).
// Both stages are requested before the kernel waits for the previous one
// (programmatic dependent launch): weights do not depend on it. Lane r of
// every warp then dots row r's items (warp w takes items w, w+8, ...) with
// the activations, read by all lanes at one address (a broadcast); rows are
// padded in shared memory so the lanes' 16-byte reads hit distinct banks.
// By default tiles have 16 rows, lanes r and r+16 sharing row r (taking
// alternate items): twice the blocks, so more warps per SM hide the latency
// of the shared-memory reads (measured 6-10% faster decode than 32 rows).
// The 8 warps' sums are added in a fixed order: results do not depend on
// timing.
//
// With one token, the Q8 activations can be computed by every block itself
// (a prologue, see kernels.h): quantizing F32 input, or RMSNorm then
// quantizing. That saves the separate kernels and their launch gaps; each
// block reads the (L2-resident) input once.
#include "backend/cuda/act_quant.cuh"
#include "backend/cuda/launch.cuh"
#include "backend/cuda/matvec_items.cuh"

namespace impetus::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / kWarp;
constexpr int kTileRows = 32;
constexpr int kStages = 2;

__device__ __forceinline__ unsigned smem_addr(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

// ---- cp.async (Ampere and newer) ----
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_addr(smem)), "l"(gmem) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
__device__ __forceinline__ void cp_async_wait_stage() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kStages - 1) : "memory");
}

// ---- bulk copies completing on an mbarrier (Hopper) ----
__device__ __forceinline__ void mbar_init(uint64_t* bar) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.init.shared.b64 [%0], 1;\n" ::"r"(smem_addr(bar)) : "memory");
#endif
}
__device__ __forceinline__ void mbar_init_fence() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}
// Arrives on the barrier, expecting `bytes` more bytes in this phase.
__device__ __forceinline__ void mbar_expect(uint64_t* bar, unsigned bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(bytes)
               : "memory");
#endif
}
__device__ __forceinline__ void mbar_wait(uint64_t* bar, unsigned parity) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  unsigned done = 0;
  do {
    asm volatile(
        "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n selp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(smem_addr(bar)), "r"(parity)
        : "memory");
  } while (done == 0);
#endif
}
__device__ __forceinline__ void bulk_copy(void* smem, const void* gmem, unsigned bytes, uint64_t* bar) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   smem_addr(smem)),
               "l"(gmem), "r"(bytes), "r"(smem_addr(bar))
               : "memory");
#endif
}

__device__ __forceinline__ int weight_of_block(const KernelParams& p) {
  int wi = 0;
  if (p.n_w > 1 && static_cast<int>(blockIdx.x) >= p.block_begin[1]) wi = 1;
  if (p.n_w > 2 && static_cast<int>(blockIdx.x) >= p.block_begin[2]) wi = 2;
  return wi;
}

__device__ __forceinline__ MatvecWeight select_weight(const KernelParams& p, int wi) {
  return wi == 0 ? p.ws[0] : (wi == 1 ? p.ws[1] : p.ws[2]);
}

// The prologue: Q8 activations of one token into shared memory (qs, meta).
__device__ void prologue_activations(const KernelParams& p, int8_t* qs, float2* meta) {
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const bool rms = p.prologue == Prologue::kRmsNorm;
  const float scale = rms ? rms_scale<kThreads>(p.pro_x, p.n_in, p.pro_eps) : 1.0f;
  const bool store_y = rms && p.pro_y != nullptr && blockIdx.x == 0;
#pragma unroll 4
  for (int64_t b = warp; b < p.n_in / 32; b += kWarps) {
    const int64_t i = 32 * b + lane;
    float v = p.pro_x[i];
    if (rms) v = __fmul_rn(__fmul_rn(v, scale), p.pro_w[i]);
    if (store_y) p.pro_y[i] = v;
    quantize_block_warp(v, i, b, qs, meta);
  }
}

template <class Item, int MAXT, bool kQ8>
__global__ void __launch_bounds__(kThreads) matvec_tile_kernel(KernelParams p) {
  extern __shared__ __align__(128) uint8_t tile[];
  __shared__ __align__(8) uint64_t bars[kStages];
  const int wi = weight_of_block(p);
  const MatvecWeight W = select_weight(p, wi);
  const int tile_rows = p.tile_rows;
  const int64_t row0 = static_cast<int64_t>(static_cast<int>(blockIdx.x) - p.block_begin[wi]) * tile_rows;
  const int rows = static_cast<int>(min(static_cast<int64_t>(tile_rows), W.n_out - row0));
  const uint8_t* gw = static_cast<const uint8_t*>(W.w) + row0 * W.row_bytes;
  const int G = p.G, CI = p.chunk_items, stride = p.stride;
  const int n_chunks = (G + CI - 1) / CI;
  const int buf_bytes = tile_rows * stride;
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const bool bulk = p.bulk;

  if (bulk) {
    if (threadIdx.x == 0) {
      for (int s = 0; s < kStages; ++s) mbar_init(&bars[s]);
      mbar_init_fence();
    }
    __syncthreads();
  }
  // Requests chunk c of every row into stage c % kStages.
  auto issue = [&](int c) {
    const bool real = c < n_chunks;
    const unsigned row_bytes = real ? static_cast<unsigned>(min(CI, G - c * CI) * Item::kBytes) : 0u;
    uint8_t* buf = tile + (c % kStages) * buf_bytes;
    const uint8_t* src = gw + static_cast<int64_t>(c) * CI * Item::kBytes;
    if (bulk) {
      if (real && warp == 0) {
        if (lane == 0) mbar_expect(&bars[c % kStages], row_bytes * static_cast<unsigned>(rows));
        __syncwarp();
        if (lane < rows) bulk_copy(buf + lane * stride, src + lane * W.row_bytes, row_bytes, &bars[c % kStages]);
      }
      return;
    }
    if (real) {
      const int pieces = static_cast<int>(row_bytes / 16);
      for (int q = threadIdx.x; q < rows * pieces; q += kThreads) {
        const int r = q / pieces, k = q - r * pieces;
        cp_async16(buf + r * stride + 16 * k, src + r * W.row_bytes + 16 * k);
      }
    }
    cp_async_commit();  // one group per chunk, empty past the end: the count stays regular
  };

  // Weights first (no kernel writes them), then wait for the previous kernel.
#pragma unroll
  for (int s = 0; s < kStages; ++s) issue(s);
  wait_for_previous_grid();
  allow_next_grid();

  const void* act = p.act;
  const float2* meta = p.meta;
  if constexpr (MAXT == 1 && kQ8) {
    if (p.prologue != Prologue::kNone) {
      auto* qs = reinterpret_cast<int8_t*>(tile + p.act_offset);
      auto* m = reinterpret_cast<float2*>(tile + p.act_offset + (p.n_in + 15) / 16 * 16);
      prologue_activations(p, qs, m);
      __syncthreads();
      act = qs;
      meta = m;
    }
  }

  float acc[MAXT];
#pragma unroll
  for (int t = 0; t < MAXT; ++t) acc[t] = 0.0f;
  for (int c = 0; c < n_chunks; ++c) {
    if (bulk) {
      mbar_wait(&bars[c % kStages], static_cast<unsigned>((c / kStages) & 1));
    } else {
      cp_async_wait_stage();
      __syncthreads();
    }
    // Lane r dots row r; split: lanes r and r + 16 share row r, alternate items.
    const int r = p.split ? (lane & 15) : lane;
    if (r < rows) {
      const int items = min(CI, G - c * CI);
      const uint8_t* row = tile + (c % kStages) * buf_bytes + r * stride;
      const int first = p.split ? 2 * warp + (lane >> 4) : warp;
      const int step = p.split ? 2 * kWarps : kWarps;
      for (int it = first; it < items; it += step) {
        uint32_t w[Item::kWords];
        Item::load_shared(row + it * Item::kBytes, w);
        item_dot_at<Item, MAXT, kQ8>(w, act, meta, p.n_in, p.nt, c * CI + it, acc);
      }
    }
    __syncthreads();  // everyone is done with the stage: refill it
    issue(c + kStages);
  }
  if (p.split) {
#pragma unroll
    for (int t = 0; t < MAXT; ++t) acc[t] += __shfl_xor_sync(0xffffffffu, acc[t], 16);
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

// Items per chunk: about 1 KiB of each row per stage.
template <class Item>
constexpr int tile_chunk_items() {
  return Item::kBytes >= 256 ? 4 : (Item::kBytes >= 128 ? 8 : 16);
}

template <class Item, int MAXT, bool kQ8>
void launch_kernel_sized(const KernelParams& p, unsigned grid, size_t smem, cudaStream_t stream) {
  static size_t allowed = 0;  // dynamic shared memory above 48 KiB must be allowed first
  if (smem > allowed) {
    IMP_CUDA_CHECK(cudaFuncSetAttribute(matvec_tile_kernel<Item, MAXT, kQ8>,
                                        cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)));
    allowed = smem;
  }
  launch_kernel(matvec_tile_kernel<Item, MAXT, kQ8>, grid, kThreads, smem, stream, p);
}

// Launches when these rows fit: 16-byte aligned rows and chunks.
template <class Item, bool kQ8>
bool launch_tile(const MatvecArgs& a, cudaStream_t stream) {
  KernelParams p = make_params(a);
  p.G = static_cast<int>(a.n_in / Item::kElems);
  p.split = split_rows();
  p.tile_rows = p.split ? kTileRows / 2 : kTileRows;
  p.chunk_items = tile_chunk_items<Item>() * (p.split ? 2 : 1);
  if (a.n_in % Item::kElems != 0 || !aligned(a, 16) ||
      (Item::kBytes % 16 != 0 && p.G % p.chunk_items != 0)) {
    return false;
  }
  if constexpr (!kQ8) {
    if (reinterpret_cast<uintptr_t>(a.act) % 16 != 0) return false;
  }
  const int chunk_bytes = p.chunk_items * Item::kBytes;
  // An odd number of 16-byte units between rows: the lanes' reads spread over the banks.
  p.stride = chunk_bytes + ((chunk_bytes / 16) % 2 == 0 ? 16 : 32);
  p.act_offset = kStages * p.tile_rows * p.stride;
  size_t smem = static_cast<size_t>(p.act_offset);
  if (p.prologue != Prologue::kNone) smem += static_cast<size_t>((a.n_in + 15) / 16 * 16 + a.n_in / 32 * 8);
  p.bulk = bulk_copies();
  const unsigned grid = assign_blocks(p, p.tile_rows);
  if (p.nt == 1) {
    launch_kernel_sized<Item, 1, kQ8>(p, grid, smem, stream);
  } else {
    launch_kernel_sized<Item, static_cast<int>(kMatvecMaxTokens), kQ8>(p, grid, smem, stream);
  }
  return true;
}

}  // namespace

bool launch_matvec_tile(const MatvecArgs& a, cudaStream_t stream) {
  switch (a.type) {  // not Q4_0/Q8_0: their device layout (repack.h) is not blocks
    case DType::kF32: return launch_tile<FloatItem<DType::kF32>, false>(a, stream);
    case DType::kF16: return launch_tile<FloatItem<DType::kF16>, false>(a, stream);
    case DType::kBF16: return launch_tile<FloatItem<DType::kBF16>, false>(a, stream);
    case DType::kQ4_1: return a.n_in % 256 == 0 && launch_tile<LegacyItem<DType::kQ4_1, 8, 16>, true>(a, stream);
    case DType::kQ5_0: return a.n_in % 256 == 0 && launch_tile<LegacyItem<DType::kQ5_0, 8, 16>, true>(a, stream);
    case DType::kQ5_1: return a.n_in % 256 == 0 && launch_tile<LegacyItem<DType::kQ5_1, 8, 16>, true>(a, stream);
    case DType::kQ4_K: return launch_tile<KItem<DType::kQ4_K, 16>, true>(a, stream);
    case DType::kQ5_K: return launch_tile<KItem<DType::kQ5_K, 16>, true>(a, stream);
    case DType::kQ6_K: return launch_tile<KItem<DType::kQ6_K, 2>, true>(a, stream);
    default: return false;
  }
}

}  // namespace impetus::cuda
