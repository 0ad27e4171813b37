// The model speed benchmark behind `impetus bench`, measured the way
// llama-bench measures it so the two can be compared:
//   pp (prompt processing): one forward pass over n_prompt tokens, logits
//       for the last one only, on an empty KV cache; tokens/s;
//   tg (text generation): n_gen forward passes of one token each, starting
//       from an empty KV cache; tokens/s.
// Token ids are seeded random ids fed in (no sampling), so only the model
// is timed. An untimed warm-up comes first (the full pp run; a few tg
// tokens), which also pages the memory-mapped weights in; then n_reps timed
// runs give mean and stddev.
//
//   BenchOptions o;  o.n_prompt = 512;  o.n_gen = 128;
//   IMP_ASSIGN_OR_RETURN(auto r, run_bench(*model, *cache, pool, o));
//   double gbps = r.tg->mean_tok_s * weight_bytes_per_token(model->gguf()) / 1e9;
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"
#include "engine/block_pool.h"
#include "model/model.h"

namespace impetus {

struct BenchOptions {
  int32_t n_prompt = 512;  // tokens of the pp test (0 = skip it)
  int32_t n_gen = 128;     // tokens of the tg test (0 = skip it)
  int32_t n_reps = 3;      // timed runs of each test (>= 1)
  bool warmup = true;      // one untimed (shorter for tg) run of each test first
  uint64_t seed = 1234;    // of the token ids fed in
};

struct BenchRate {
  int32_t n_tokens = 0;        // tokens per run
  double mean_tok_s = 0.0;     // mean over the runs of tokens / second
  double stddev_tok_s = 0.0;   // sample standard deviation (0 for one run)
  std::vector<double> samples_tok_s;  // (n_reps) each run's rate
};

struct BenchResult {
  std::optional<BenchRate> pp;  // absent when n_prompt == 0
  std::optional<BenchRate> tg;  // absent when n_gen == 0
};

// KV-cache positions the benchmark needs: max(n_prompt, n_gen).
int32_t bench_context_tokens(const BenchOptions& options);

// Runs the tests on `model`. The cache and pool must have room for
// bench_context_tokens() positions (INVALID_ARGUMENT otherwise); every run
// takes its blocks from the pool and gives them back.
StatusOr<BenchResult> run_bench(Model& model, KvCache& cache, BlockPool& pool,
                                const BenchOptions& options);

// Mean and sample standard deviation of per-run rates.
BenchRate summarize_rates(int32_t n_tokens, std::vector<double> samples_tok_s);

// Bytes of weights one decode step reads: every tensor of the file except the
// token embedding table, of which one row is read (all of it when it is also
// the output matrix, i.e. there is no output.weight). KV-cache reads are not
// counted. tg tokens/s times this is the effective weight bandwidth.
uint64_t weight_bytes_per_token(const GgufFile& gguf);

}  // namespace impetus
