#include "engine/perplexity.h"

#include <algorithm>
#include <cmath>

#include "engine/block_pool.h"

namespace impetus {
namespace {

// -log softmax(logits)[target], in double.
double nll(const float* logits, int32_t n_vocab, int32_t target) {
  float max_l = logits[0];
  for (int32_t i = 1; i < n_vocab; ++i) max_l = std::max(max_l, logits[i]);
  double sum = 0.0;
  for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - max_l);
  return std::log(sum) - (static_cast<double>(logits[target]) - max_l);
}

}  // namespace

StatusOr<PerplexityResult> compute_perplexity(Model& model, KvCache& cache,
                                              const std::vector<int32_t>& tokens, int32_t n_ctx,
                                              int32_t bos, int32_t n_batch) {
  if (n_ctx < 4) return invalid_argument("the context size must be at least 4");
  if (static_cast<int64_t>(tokens.size()) < 2 * static_cast<int64_t>(n_ctx)) {
    return invalid_argument("perplexity needs at least 2 * ctx = " + std::to_string(2 * n_ctx) +
                            " tokens; the text has " + std::to_string(tokens.size()));
  }
  if (static_cast<int64_t>(cache.n_blocks()) * cache.block_size() < n_ctx) {
    return invalid_argument("the KV cache is smaller than the context size");
  }
  const int32_t n_vocab = model.config().n_vocab;
  BlockPool pool(cache.n_blocks());
  PerplexityResult result;
  result.n_chunks = static_cast<int32_t>(tokens.size() / static_cast<size_t>(n_ctx));
  const int32_t first = n_ctx / 2;
  double total_nll = 0.0;
  int64_t count = 0;
  std::vector<float> logits;
  for (int32_t c = 0; c < result.n_chunks; ++c) {
    std::vector<int32_t> chunk(tokens.begin() + static_cast<int64_t>(c) * n_ctx,
                               tokens.begin() + static_cast<int64_t>(c + 1) * n_ctx);
    if (bos >= 0) chunk[0] = bos;
    BlockTable table(pool, cache.block_size());
    IMP_RETURN_IF_ERROR(table.reserve(n_ctx));
    for (int32_t start = 0; start < n_ctx; start += n_batch) {
      const int32_t end = std::min(n_ctx, start + n_batch);
      ForwardBatch batch;
      batch.info.block_size = cache.block_size();
      batch.info.block_tables = {table.blocks()};
      for (int32_t j = start; j < end; ++j) batch.add(chunk[j], j, 0, j >= first && j < n_ctx - 1);
      IMP_RETURN_IF_ERROR(model.forward(batch, cache, &logits));
      for (size_t r = 0; r < batch.output_rows.size(); ++r) {
        const int32_t j = start + batch.output_rows[r];
        total_nll += nll(logits.data() + r * static_cast<size_t>(n_vocab), n_vocab, chunk[j + 1]);
        ++count;
      }
    }
    result.chunk_ppl.push_back(std::exp(total_nll / static_cast<double>(count)));
  }
  result.ppl = std::exp(total_nll / static_cast<double>(count));
  return result;
}

}  // namespace impetus
