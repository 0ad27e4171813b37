// Generator: runs one sequence from a prompt to a stop: prompt processing
// in chunks, then one token at a time through the sampler, streaming text
// as it becomes valid UTF-8. It is the single-sequence path used by the CLI
// (`impetus generate`); the batching engine loop builds on the same Model
// and KV-cache pieces.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "sampling/sampling_params.h"
#include "tokenizer/tokenizer.h"

namespace impetus {

struct GenerationOptions {
  int32_t n_predict = 32;    // tokens to generate at most (< 0: until EOS or the context is full)
  bool ignore_eos = false;   // keep going past end-of-generation tokens
  int32_t n_batch = 512;     // prompt tokens per forward call
  SamplingParams sampling;   // how each token is chosen
};

struct GenerationResult {
  std::vector<int32_t> ids;     // generated ids (the prompt excluded)
  std::string text;             // their text
  std::string finish_reason;    // "stop" (end-of-generation token) or "length"
  double prompt_ms = 0.0;       // time to process the prompt
  double gen_ms = 0.0;          // time to generate ids (after the prompt)
};

class Generator {
 public:
  // The cache and pool must outlive the generator; `pool` manages `cache`'s blocks.
  Generator(Model& model, const Tokenizer& tokenizer, KvCache& cache, BlockPool& pool);

  // on_text (may be empty) receives each newly complete piece of text.
  StatusOr<GenerationResult> generate(const std::vector<int32_t>& prompt,
                                      const GenerationOptions& options,
                                      const std::function<void(std::string_view)>& on_text);

 private:
  Model& model_;
  const Tokenizer& tokenizer_;
  KvCache& cache_;
  BlockPool& pool_;
};

}  // namespace impetus
