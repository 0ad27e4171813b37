// ModelConfig: the hyperparameters of a decoder-only transformer, read from
// GGUF metadata with llama.cpp's key names ("<arch>.embedding_length", ...).
// Every value is validated (positive, consistent) so the forward pass can
// trust it.
#pragma once

#include <cstdint>
#include <string>

#include "backend/backend.h"
#include "core/status.h"
#include "model/formats/gguf_reader.h"

namespace impetus {

struct ModelConfig {
  std::string arch;          // general.architecture: "llama", "qwen2", "qwen3"
  std::string name;          // general.name, if any
  int32_t n_vocab = 0;
  int32_t n_embd = 0;        // hidden size
  int32_t n_layer = 0;
  int32_t n_head = 0;        // query heads
  int32_t n_head_kv = 0;     // key/value heads (GQA when < n_head)
  int32_t head_dim = 0;      // per-head size (attention.key_length, else n_embd / n_head)
  int32_t n_ff = 0;          // feed-forward hidden size
  int32_t n_ctx_train = 0;   // context length the model was trained for
  float rms_eps = 1e-5f;
  RopeMode rope_mode = RopeMode::kNormal;
  int32_t n_rot = 0;         // rotated dims per head
  float rope_freq_base = 10000.0f;
  float rope_freq_scale = 1.0f;  // 1 / linear scaling factor

  int32_t q_dim() const { return n_head * head_dim; }
  int32_t kv_dim() const { return n_head_kv * head_dim; }
};

// Reads and validates the config of `gguf`; `rope_mode` comes from the family.
StatusOr<ModelConfig> read_model_config(const GgufFile& gguf, RopeMode rope_mode);

}  // namespace impetus
