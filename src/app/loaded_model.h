// LoadedModel: what the CLI commands need to run a model: a backend (CPU or GPU;
// plus the CPU for the first layers when --gpu-layers splits the model),
// the model, its tokenizer and a KV cache with room for n_ctx tokens.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "backend/backend.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace impetus::app {

struct LoadOptions {
  std::string path;
  int n_threads = 0;       // 0: all hardware threads
  int32_t n_ctx = 0;       // 0: the model's training context, capped at 4096
  int32_t block_size = 16;
  std::string device = "auto";  // --device: auto | cpu | cuda (app/backend_select.h)
  int gpu_layers = -1;          // --gpu-layers
};

struct LoadedModel {
  std::unique_ptr<Backend> backend;       // the primary (GPU or CPU)
  std::unique_ptr<Backend> host_backend;  // the CPU of a split model (--gpu-layers N), else null
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<BlockPool> pool;
  int32_t n_ctx = 0;
};

StatusOr<LoadedModel> load_model(const LoadOptions& options);

// Adds -m/--model, -t/--threads, -c/--ctx-size, --device and --gpu-layers to a subcommand.
void add_model_options(CLI::App& cmd, LoadOptions& load);

// Prints "impetus: error: <message>" to stderr and returns 1.
int report_error(const Status& status);

}  // namespace impetus::app
