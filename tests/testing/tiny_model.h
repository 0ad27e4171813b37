// Tiny random models for tests, written as real GGUF files through the
// project's GGUF writer: every supported family (llama, qwen2, qwen3), any
// weight type, GQA or not, tied or separate output. Weights are seeded
// normal values scaled so activations stay around unit size.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/dtype.h"

namespace impetus::testing {

struct TinyModelSpec {
  std::string arch = "llama";     // llama | qwen2 | qwen3
  DType weight_type = DType::kF32;  // type of the 2-D matrices
  int32_t n_vocab = 256;
  int32_t n_embd = 64;
  int32_t n_layer = 2;
  int32_t n_head = 4;
  int32_t n_head_kv = 2;
  int32_t head_dim = 0;           // 0: n_embd / n_head
  int32_t n_ff = 96;
  int32_t n_rot = 0;              // 0: head_dim
  float rope_base = 10000.0f;
  bool tied_output = false;       // no output.weight: reuse token_embd
  bool rope_freqs = false;        // add a rope_freqs.weight tensor (llama3-style scaling)
  float rope_linear_scale = 0.0f; // > 0: rope.scaling.type = linear with this factor
  uint64_t seed = 1;
};

// A spec whose matrices fit the block size of `type` (256 for K-quants).
TinyModelSpec tiny_spec_for(const std::string& arch, DType type);

// Writes the model to `path`; aborts the test on failure.
void write_tiny_model(const TinyModelSpec& spec, const std::string& path);

}  // namespace impetus::testing
