// ModelHarness: a model on the CPU backend with an F32 paged KV cache and
// helpers to run sequences through Model::forward in the ways tests compare
// (whole prompt at once, one token at a time, several sequences batched).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace impetus::testing {

class ModelHarness {
 public:
  explicit ModelHarness(const std::string& path, int n_threads = 2, int32_t n_blocks = 64,
                        int32_t block_size = 16, DType kv_type = DType::kF32);

  Model& model() { return *model_; }
  int32_t n_vocab() const { return model_->config().n_vocab; }

  // Logits of every position, the whole sequence in one forward call.
  std::vector<float> logits_all(const std::vector<int32_t>& tokens);
  // Logits of every position, one forward call per token.
  std::vector<float> logits_one_by_one(const std::vector<int32_t>& tokens);
  // Logits of every position of several sequences sharing forward calls:
  // each call takes `chunk` tokens from every unfinished sequence.
  std::vector<std::vector<float>> logits_batched(const std::vector<std::vector<int32_t>>& seqs,
                                                 int32_t chunk);
  // Greedy continuation of a prompt, n tokens.
  std::vector<int32_t> greedy(const std::vector<int32_t>& prompt, int32_t n);

 private:
  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<BlockPool> pool_;
};

int32_t argmax(const float* v, int32_t n);

}  // namespace impetus::testing
