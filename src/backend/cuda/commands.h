// The CUDA backend's recorded commands: one plain struct per op, holding
// device pointers, sizes and the offsets of the op's host data in the step's
// arena (copied to the device in one transfer before the commands run).
// Commands are compared bytewise to recognise a repeated list (same ops,
// shapes and buffers; only arena contents differ), whose CUDA graph can
// then be replayed: every Cmd is zero-filled before its fields are set.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "backend/cuda/kernels.h"

namespace impetus::cuda {

enum class Op : uint32_t {
  kCopy,       // device <- arena bytes (small write())
  kGetRows,
  kQuantize,   // F32 rows -> Q8 activations
  kMatvec,
  kGemm,
  kAddBias,
  kRmsNorm,    // optionally fused with kQuantize
  kRope,       // optionally fused with a second rope and kKvStore
  kSwiglu,     // optionally fused with kQuantize
  kAdd,
  kKvStore,
  kAttention,
  kArgmax,     // per-row argmax ids (greedy decoding)
};

// Device pointer to arena bytes: resolved at execution (arena base + off).
struct ArenaRef {
  uint32_t off = 0;
  uint32_t bytes = 0;
};

struct CopyCmd {
  void* dst;
  ArenaRef src;
};
struct GetRowsCmd {
  DType type;
  const void* table;
  int64_t cols, row_bytes, n;
  ArenaRef ids;
  float* out;
};
struct QuantizeCmd {
  const float* x;
  int64_t n, rows;
  int8_t* qs;
  float2* meta;
};
struct MatvecCmd {
  MatvecArgs args;
};
struct GemmCmd {
  DType type;
  const void* w;
  int64_t n_in, n_out, n_tok, row_bytes;
  const float* x;
  float* y;
  void* w16;  // scratch for the dequantized weight (types other than F16, F32)
  void* x16;  // scratch for the F16 activations (types other than F32)
  bool x16_ready;  // x16 already holds x (an earlier product of the same matmul_n)
};
struct AddBiasCmd {
  float* y;
  const float* bias;
  int64_t n, rows;
};
struct RmsNormCmd {
  const float* x;
  const float* w;
  float eps;
  int64_t n, rows;
  float* y;
  int8_t* qs;  // fused quantization of y, or null
  float2* meta;
};
struct RopeCmd {
  RopeArgs args;   // pointers to host data are left null here
  ArenaRef positions;
  ArenaRef factors;  // freq factors copied from host memory (bytes == 0: args.freq_factors)
  ArenaRef slots;    // fused KV store
};
struct SwigluCmd {
  const float* gate;
  const float* up;
  float* out;
  int64_t n, rows;
  int8_t* qs;
  float2* meta;
};
struct AddCmd {
  const float* a;
  const float* b;
  float* out;
  int64_t n;
};
struct KvStoreCmd {
  const float* k;
  const float* v;
  void* k_cache;
  void* v_cache;
  bool f16;
  int64_t kv_dim, n_tok;
  ArenaRef slots;
};
struct ArgmaxCmd {
  const float* x;
  int64_t n, rows;
  int32_t* ids;
};
struct AttentionCmd {
  AttentionArgs args;  // positions, seq and tables resolved from the refs
  ArenaRef positions, seq, tables;
  bool one_token_per_seq;  // no two tokens of the batch share a sequence (decode)
  RopeCmd rope;            // the fused RoPE + KV store (args.with_rope)
};

struct Cmd {
  Op op;
  union {
    CopyCmd copy;
    GetRowsCmd get_rows;
    QuantizeCmd quantize;
    MatvecCmd matvec;
    GemmCmd gemm;
    AddBiasCmd add_bias;
    RmsNormCmd rms_norm;
    RopeCmd rope;
    SwigluCmd swiglu;
    AddCmd add;
    KvStoreCmd kv_store;
    AttentionCmd attention;
    ArgmaxCmd argmax;
  };

  explicit Cmd(Op o) : copy{} {
    std::memset(static_cast<void*>(this), 0, sizeof(Cmd));
    op = o;
  }
  bool operator==(const Cmd& other) const { return std::memcmp(this, &other, sizeof(Cmd)) == 0; }
};

// Which fusion rules apply (fusion.cc).
struct FusionRules {
  bool prologues = false;           // RMSNorm/quantization in one-token products
  // SwiGLU fused into one-token Q4_0 gate/up products of at least this many
  // groups of 32 outputs (the block kernel's blocks; fewer leave SMs idle:
  // measured slower on the 1.1B shape, and on Q8_0); 0: off.
  int64_t swiglu_quant_min_groups = 0;
  int32_t* swiglu_counters = nullptr;  // kMatvecCounters zeroed ints: SwiGLU epilogues of other types (null: off)
  bool rope_attention = true;       // RoPE + KV store inside decode attention
};

// Fuses neighbouring commands in place (see cuda_backend.h); `arena` is the
// host copy of the list's arena (fusion compares host data). Returns the
// number of commands removed.
int fuse_commands(std::vector<Cmd>& cmds, const uint8_t* arena, const FusionRules& rules);

}  // namespace impetus::cuda
