// The weights of a decoder-only transformer, as backend tensors. Optional
// tensors (biases, q/k norms, rope frequency factors) have data == nullptr
// when the family or the file has none.
#pragma once

#include <vector>

#include "backend/tensor.h"

namespace impetus {

inline bool present(const Tensor& t) { return t.data != nullptr; }

struct LayerWeights {
  Tensor attn_norm;            // (n_embd)
  Tensor wq, wk, wv;           // {n_embd, q_dim}, {n_embd, kv_dim}, {n_embd, kv_dim}
  Tensor bq, bk, bv;           // (q_dim), (kv_dim), (kv_dim): optional biases
  Tensor q_norm, k_norm;       // (head_dim): optional per-head RMSNorm (qwen3)
  Tensor wo;                   // {q_dim, n_embd}
  Tensor bo;                   // (n_embd): optional
  Tensor ffn_norm;             // (n_embd)
  Tensor w_gate, w_up;         // {n_embd, n_ff}
  Tensor w_down;               // {n_ff, n_embd}
};

struct ModelWeights {
  Tensor tok_embd;             // {n_embd, n_vocab}
  Tensor output_norm;          // (n_embd)
  Tensor output;               // {n_embd, n_vocab}: tok_embd when tied
  Tensor rope_freqs;           // (n_rot / 2): optional frequency divisors (llama3 scaling)
  std::vector<LayerWeights> layers;
};

}  // namespace impetus
