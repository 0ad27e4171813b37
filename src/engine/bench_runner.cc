#include "engine/bench_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

namespace impetus {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<int32_t> random_tokens(int32_t n, int32_t n_vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, n_vocab - 1);
  std::vector<int32_t> ids(static_cast<size_t>(n));
  for (auto& id : ids) id = dist(rng);
  return ids;
}

ForwardBatch batch_for(const BlockTable& table, int32_t block_size) {
  ForwardBatch b;
  b.info.block_size = block_size;
  b.info.block_tables = {table.blocks()};
  return b;
}

// One pp run: all tokens in one forward pass on fresh blocks; seconds taken.
StatusOr<double> time_prompt(Model& model, KvCache& cache, BlockPool& pool,
                             const std::vector<int32_t>& tokens, std::vector<float>* logits) {
  BlockTable table(pool, cache.block_size());
  IMP_RETURN_IF_ERROR(table.reserve(static_cast<int64_t>(tokens.size())));
  ForwardBatch b = batch_for(table, cache.block_size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    b.add(tokens[i], static_cast<int32_t>(i), 0, i + 1 == tokens.size());
  }
  const auto t0 = std::chrono::steady_clock::now();
  IMP_RETURN_IF_ERROR(model.forward(b, cache, logits));
  model.backend().synchronize();
  return seconds_since(t0);
}

// One tg run: one forward pass per token, positions 0.. on fresh blocks.
StatusOr<double> time_generation(Model& model, KvCache& cache, BlockPool& pool,
                                 const std::vector<int32_t>& tokens, std::vector<float>* logits) {
  BlockTable table(pool, cache.block_size());
  IMP_RETURN_IF_ERROR(table.reserve(static_cast<int64_t>(tokens.size())));
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < tokens.size(); ++i) {
    ForwardBatch b = batch_for(table, cache.block_size());
    b.add(tokens[i], static_cast<int32_t>(i), 0, true);
    IMP_RETURN_IF_ERROR(model.forward(b, cache, logits));
  }
  model.backend().synchronize();
  return seconds_since(t0);
}

using TimeFn = StatusOr<double> (*)(Model&, KvCache&, BlockPool&, const std::vector<int32_t>&,
                                    std::vector<float>*);

// n_warmup: tokens of the untimed first run (any forward pass touches every weight).
StatusOr<BenchRate> run_test(TimeFn fn, Model& model, KvCache& cache, BlockPool& pool,
                             int32_t n_tokens, int32_t n_warmup, const BenchOptions& o,
                             uint64_t salt) {
  std::vector<float> logits;
  const int32_t n_vocab = model.config().n_vocab;
  if (o.warmup) {
    IMP_RETURN_IF_ERROR(fn(model, cache, pool, random_tokens(n_warmup, n_vocab, o.seed ^ salt),
                           &logits).status());
  }
  std::vector<double> rates;
  for (int32_t r = 0; r < o.n_reps; ++r) {
    const auto tokens = random_tokens(n_tokens, n_vocab, o.seed + static_cast<uint64_t>(r) + salt);
    IMP_ASSIGN_OR_RETURN(double sec, fn(model, cache, pool, tokens, &logits));
    rates.push_back(sec > 0 ? n_tokens / sec : 0.0);
  }
  return summarize_rates(n_tokens, std::move(rates));
}

}  // namespace

int32_t bench_context_tokens(const BenchOptions& o) { return std::max(o.n_prompt, o.n_gen); }

BenchRate summarize_rates(int32_t n_tokens, std::vector<double> samples) {
  BenchRate r;
  r.n_tokens = n_tokens;
  const double n = static_cast<double>(samples.size());
  if (samples.empty()) return r;
  double sum = 0;
  for (double s : samples) sum += s;
  r.mean_tok_s = sum / n;
  if (samples.size() > 1) {
    double sq = 0;
    for (double s : samples) sq += (s - r.mean_tok_s) * (s - r.mean_tok_s);
    r.stddev_tok_s = std::sqrt(sq / (n - 1));
  }
  r.samples_tok_s = std::move(samples);
  return r;
}

StatusOr<BenchResult> run_bench(Model& model, KvCache& cache, BlockPool& pool,
                                const BenchOptions& o) {
  if (o.n_prompt < 0 || o.n_gen < 0) return invalid_argument("token counts must be >= 0");
  if (o.n_reps < 1) return invalid_argument("the benchmark needs at least one repetition");
  const int64_t need = bench_context_tokens(o);
  const int64_t room = std::min<int64_t>(static_cast<int64_t>(cache.n_blocks()),
                                         static_cast<int64_t>(pool.n_free())) *
                       cache.block_size();
  if (need > room) {
    return invalid_argument("the KV cache holds " + std::to_string(room) + " tokens; the benchmark needs " +
                            std::to_string(need));
  }
  BenchResult result;
  if (o.n_prompt > 0) {
    IMP_ASSIGN_OR_RETURN(result.pp, run_test(time_prompt, model, cache, pool, o.n_prompt,
                                             o.n_prompt, o, 0));
  }
  if (o.n_gen > 0) {
    IMP_ASSIGN_OR_RETURN(result.tg, run_test(time_generation, model, cache, pool, o.n_gen,
                                             std::min(o.n_gen, 4), o, 0x7467));
  }
  return result;
}

uint64_t weight_bytes_per_token(const GgufFile& gguf) {
  const bool tied = gguf.find_tensor("output.weight") == nullptr;
  uint64_t total = 0;
  for (const auto& t : gguf.tensors()) {
    if (t.name == "token_embd.weight" && !tied) {
      const int64_t rows = t.n_elements() / std::max<int64_t>(1, t.ne[0]);
      total += rows > 0 ? t.n_bytes / static_cast<uint64_t>(rows) : 0;
    } else {
      total += t.n_bytes;
    }
  }
  return total;
}

}  // namespace impetus
