// The CUDA kernels' launchers: plain host functions, implemented in the .cu
// files of this folder, that the command executor calls. Every pointer is
// device memory; every launch goes to `stream` and is checked.
//
// Layouts shared between kernels:
//   Q8 activations (inputs of quantized matrix products), per token row of n
//   elements: int8 qs[n] at qs + t*n, and per block of 32 a float2
//   {d, sum} at meta + t*(n/32): value = d * q, sum = the block's quant sum
//   (so s = d * sum as in backend/cpu/kernels.h).
//   Q4_0 and Q8_0 weights are stored on the device with each row's quants
//   first and its scales after them (repack.h); every kernel reads that.
//   Paged KV cache: row `slot` of k_cache/v_cache holds a token's keys/values
//   for all KV heads; block tables are int32 [n_seqs][table_width].
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "tensor/dtype.h"

namespace impetus::cuda {

// Fatal error with the CUDA message when `err` is not cudaSuccess.
void check_cuda(cudaError_t err, const char* what, const char* file, int line);
#define IMP_CUDA_CHECK(expr) ::impetus::cuda::check_cuda((expr), #expr, __FILE__, __LINE__)
// Checks the last launch.
#define IMP_CUDA_CHECK_LAUNCH() ::impetus::cuda::check_cuda(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)

// Programmatic dependent launch (launch.cuh) for the kernels launched from
// now on: set by the backend (Hopper or newer, not turned off).
void set_programmatic_launch(bool on);
bool programmatic_launch();
// Weight staging of the matrix-vector kernels with bulk copies (Hopper and
// newer) instead of cp.async; set by the backend like the above.
void set_bulk_copies(bool on);
bool bulk_copies();
// Tiles of 16 rows with two lanes per row (instead of 32 rows, one lane
// each) in the matrix-vector kernels; set by the backend (default on).
void set_split_rows(bool on);
bool split_rows();

// ---- activations ----
// x (rows of n floats, n % 32 == 0) -> Q8 activations.
void launch_quantize_q8(const float* x, int64_t n, int64_t rows, int8_t* qs, float2* meta,
                        cudaStream_t stream);
// y = x / rms(x) * w per row of n; y may alias x. With qs != null (n % 32 == 0)
// y is also quantized to Q8 activations.
void launch_rms_norm(const float* x, const float* w, float eps, int64_t n, int64_t rows, float* y,
                     int8_t* qs, float2* meta, cudaStream_t stream);
// out = silu(gate) * up over rows of n; optionally quantized like rms_norm.
void launch_swiglu(const float* gate, const float* up, float* out, int64_t n, int64_t rows,
                   int8_t* qs, float2* meta, cudaStream_t stream);
void launch_add(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream);
void launch_add_bias(float* y, const float* bias, int64_t n, int64_t rows, cudaStream_t stream);
void launch_f32_to_f16(const float* x, int64_t n, void* out, cudaStream_t stream);

// ---- weights ----
// True when `type` has device kernels (the types the CPU backend runs).
bool type_supported(DType type);
// True when matrix products of `type` take Q8 activations.
bool takes_q8(DType type);
// out (n rows of cols floats) = rows ids[] of table, dequantized exactly as
// tensor/quant/quant.h does.
void launch_get_rows(DType type, const void* table, int64_t cols, int64_t row_bytes,
                     const int32_t* ids, int64_t n, float* out, cudaStream_t stream);
// out (rows x cols halves) = the whole matrix dequantized to F16.
void launch_dequant_f16(DType type, const void* w, int64_t cols, int64_t rows, int64_t row_bytes,
                        void* out, cudaStream_t stream);

// ---- matrix-vector products (few tokens) ----
inline constexpr int kMatvecMaxWeights = 3;
inline constexpr int64_t kMatvecMaxTokens = 8;
// Q4_0 and Q8_0 weights take the matrix-vector path (int8 tensor-core
// kernel, matvec_mma.cu) for up to this many tokens: batched decode steps
// read the quantized weights once instead of dequantizing them for cuBLAS.
inline constexpr int64_t kMatvecMaxBatch = 64;
// The default of that limit: above it, dequantization + cuBLAS (or cuBLAS
// on the weights' F16 copies) measured faster on an H100.
inline constexpr int64_t kMatvecDefaultBatch = 32;
// Token counts from which the Q4_0/Q8_0 products use the tensor-core kernel
// instead of the dp4a one (env IMPETUS_CUDA_MMA_MIN), and up to which the
// matrix-vector path is taken at all (env IMPETUS_CUDA_MMA_MAX, default
// kMatvecDefaultBatch, at most kMatvecMaxBatch; 8 turns the batched path
// off); set by the backend.
void set_mma_tokens(int64_t min_tokens, int64_t max_tokens);
int64_t mma_min_tokens();
int64_t mma_max_tokens();
// Float weights use the direct kernel (matvec_direct.cu) up to this many
// tokens, the tile kernel above (env IMPETUS_CUDA_DIRECT_FLOAT_MAX).
void set_direct_float_max(int64_t n_tok);
// The largest token count the matrix-vector kernels take for `type`.
int64_t matvec_max_tokens(DType type);

struct MatvecWeight {
  const void* w = nullptr;
  float* y = nullptr;  // {n_out, n_tok}
  int64_t n_out = 0;
  int64_t row_bytes = 0;
};

// What a matrix-vector product computes its Q8 activations from, for one
// token (fused by the executor): kNone reads `act`/`meta` as they are;
// kQuantize quantizes F32 pro_x; kRmsNorm quantizes rms_norm(pro_x) * pro_w
// (eps pro_eps) and also stores that normalized vector in pro_y (pro_y !=
// pro_x). When the fused kernel does not apply, the same results are
// produced by the separate kernels (writing `act`/`meta` first).
enum class Prologue : int32_t { kNone = 0, kQuantize = 1, kRmsNorm = 2 };

struct MatvecArgs {
  DType type = DType::kF32;
  int n_w = 0;  // weights sharing the input, all of `type`
  MatvecWeight ws[kMatvecMaxWeights];
  int64_t n_in = 0;
  int64_t n_tok = 0;         // 1..matvec_max_tokens(type)
  const void* act = nullptr;  // Q8 qs (takes_q8) or F32 x {n_in, n_tok}
  const float2* meta = nullptr;
  const float* x = nullptr;  // F32 x, for the generic fallback kernel
  float* residual = nullptr;  // n_w == 1 only: residual += y (fused add)
  Prologue prologue = Prologue::kNone;
  const float* pro_x = nullptr;
  const float* pro_w = nullptr;
  float pro_eps = 0.0f;
  float* pro_y = nullptr;
  // A fused SwiGLU epilogue (n_w == 2 with equal n_out % 32 == 0, one
  // token): swiglu_out = silu(ws[0].y) * ws[1].y, also quantized to Q8
  // activations when swiglu_qs != null. Q4_0/Q8_0 weights: blocks of 32
  // outputs of both weights compute it (matvec_swiglu_kernel; the executor
  // fuses it for Q4_0 only, see FusionRules). Float
  // weights in the direct kernel: the warp that completes a group of 32 rows
  // of both weights computes it (counted in `counters`, n_out / 32 ints
  // that are zero before and after; null: not fused). Other kernels run the
  // SwiGLU kernel after the product.
  float* swiglu_out = nullptr;
  int8_t* swiglu_qs = nullptr;
  float2* swiglu_meta = nullptr;
  int32_t* counters = nullptr;
};
void launch_matvec(const MatvecArgs& a, cudaStream_t stream);
// Ints of the counter buffer the backend hands to fused SwiGLU epilogues.
inline constexpr int64_t kMatvecCounters = 1 << 16;

// ---- rope and KV cache ----
struct RopeArgs {
  float* x = nullptr;  // {n_heads * head_dim, n_tok}, rotated in place
  int32_t n_heads = 0;
  float* x2 = nullptr;  // optional second tensor (k) rotated the same way
  int32_t n_heads2 = 0;
  int32_t head_dim = 0;
  int64_t n_tok = 0;
  const int32_t* positions = nullptr;
  bool neox = false;
  int32_t n_rot = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  const float* freq_factors = nullptr;  // (n_rot/2) divisors or null
  // Optional fused KV store of x2 (after rotation) and v at slots[t].
  const float* v = nullptr;
  void* k_cache = nullptr;
  void* v_cache = nullptr;
  bool cache_f16 = false;
  const int32_t* slots = nullptr;
};
void launch_rope(const RopeArgs& a, cudaStream_t stream);
void launch_kv_store(const float* k, const float* v, void* k_cache, void* v_cache, bool cache_f16,
                     int64_t kv_dim, const int32_t* slots, int64_t n_tok, cudaStream_t stream);

// ---- attention ----
struct AttentionArgs {
  const float* q = nullptr;  // {n_head * head_dim, n_tok}
  const void* k_cache = nullptr;
  const void* v_cache = nullptr;
  bool cache_f16 = false;
  float* out = nullptr;  // like q
  int32_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.0f;
  int64_t n_tok = 0;
  const int32_t* positions = nullptr;  // (n_tok)
  const int32_t* seq = nullptr;        // (n_tok) row of `tables`
  const int32_t* tables = nullptr;     // [n_seqs][table_width]
  int32_t table_width = 0;
  int32_t block_size = 0;
  // Split-K (flash decoding): n_splits > 1 needs partial buffers of
  // n_splits * n_tok * n_head * head_dim floats (acc) and float2 (max, sum).
  int32_t n_splits = 1;
  float* part_acc = nullptr;
  float2* part_ml = nullptr;
  // Optional (fused by the executor; head_dim % 32 == 0): `out` also
  // quantized to Q8 activations (rows of n_head * head_dim).
  int8_t* qs = nullptr;
  float2* meta = nullptr;
  // Optional (fused by the executor for decode steps, every token of its own
  // sequence): the fused RoPE + KV store of `rope` (its x = q, x2 = k) done by
  // the attention blocks themselves: each rotates its q head into shared
  // memory, and the blocks holding a token's own position rotate that
  // token's k head and store it and the v head at rope.slots[t] before
  // reading the cache. q and k are not rotated in place (the executor fuses
  // only when no later command reads them).
  bool with_rope = false;
  RopeArgs rope;
};
void launch_attention(const AttentionArgs& a, cudaStream_t stream);

// ---- greedy decoding ----
// ids[r] = argmax of row r of x ({n, rows}), by core/argmax.h's rule.
void launch_argmax(const float* x, int64_t n, int64_t rows, int32_t* ids, cudaStream_t stream);

}  // namespace impetus::cuda
