// Perplexity, computed the way llama.cpp's llama-perplexity does by default
// so figures are comparable: the token stream is cut into non-overlapping
// chunks of n_ctx tokens, each chunk starts with BOS (when the model adds
// one), and only the second half of each chunk is scored.
#pragma once

#include <cstdint>
#include <vector>

#include "model/kv_cache.h"
#include "model/model.h"

namespace impetus {

struct PerplexityResult {
  double ppl = 0.0;
  int32_t n_chunks = 0;
  std::vector<double> chunk_ppl;  // running perplexity after each chunk
};

// tokens: the whole text tokenized with BOS (if any) first. bos < 0: none.
// The cache must hold at least n_ctx tokens.
StatusOr<PerplexityResult> compute_perplexity(Model& model, KvCache& cache,
                                              const std::vector<int32_t>& tokens, int32_t n_ctx,
                                              int32_t bos, int32_t n_batch = 512);

}  // namespace impetus
