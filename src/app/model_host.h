// HostedModel: a model loaded for serving: backend, weights, tokenizer, chat
// template and the engine that batches requests for it. `impetus serve` hosts
// one per --model; `impetus run` hosts one for the terminal chat.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "engine/engine.h"
#include "model/model.h"
#include "server/model_registry.h"
#include "tokenizer/tokenizer.h"

namespace impetus::app {

struct HostOptions {
  std::string path;                 // GGUF file
  std::string id;                   // model id; "" = the file's stem
  int n_threads = 0;                // CPU threads (0 = all)
  std::string device = "auto";      // --device: auto | cpu | cuda (app/backend_select.h)
  int gpu_layers = -1;              // --gpu-layers
  int32_t n_ctx = 0;                // tokens per sequence (0 = model's, capped at 4096)
  int32_t max_running = 16;         // sequences decoding at once
  int32_t max_batch_tokens = 512;   // tokens per forward step
  int64_t kv_cache_bytes = 0;       // 0 = automatic
  DType kv_type = DType::kF16;
  std::string chat_template_file;   // "" = the model's own template (or the default)
  bool use_mmap = true;             // false: read the whole file into memory
};

struct HostedModel {
  std::string id;
  std::unique_ptr<Backend> backend;       // the primary (GPU or CPU)
  std::unique_ptr<Backend> host_backend;  // the CPU of a split model (--gpu-layers N), else null
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const ChatTemplate> chat_template;
  std::string chat_template_source;  // "model", "file" or "default"

  // The registry entry; it does not own the engine (see ModelManager for one that does).
  ServedModel served() const;
};

StatusOr<std::unique_ptr<HostedModel>> host_model(const HostOptions& options);
// "models/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf" -> "Qwen2.5-0.5B-Instruct-Q4_K_M"
std::string model_id_from_path(const std::string& path);

}  // namespace impetus::app
