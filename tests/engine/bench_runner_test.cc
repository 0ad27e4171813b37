// The benchmark runner on a tiny model: positive rates, the requested
// number of runs, blocks handed back, and the weight-byte count checked
// against a count made from the model's shape.
#include "engine/bench_runner.h"

#include <gtest/gtest.h>

#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "testing/paths.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

struct Loaded {
  std::unique_ptr<CpuBackend> backend;
  std::unique_ptr<Model> model;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<BlockPool> pool;
};

Loaded load(const TinyModelSpec& spec, const std::string& name, int32_t n_blocks) {
  const std::string path = scratch_dir("bench_runner") + "/" + name + ".gguf";
  write_tiny_model(spec, path);
  Loaded l;
  l.backend = std::make_unique<CpuBackend>(CpuBackendOptions{2});
  auto model = Model::load(path, *l.backend);
  EXPECT_TRUE(model.ok()) << model.status().message();
  l.model = std::move(*model);
  auto cache = KvCache::create(*l.model, n_blocks, 16);
  EXPECT_TRUE(cache.ok());
  l.cache = std::move(*cache);
  l.pool = std::make_unique<BlockPool>(n_blocks);
  return l;
}

TEST(BenchRunner, RatesArePositiveAndBlocksReturn) {
  Loaded l = load(tiny_spec_for("llama", DType::kQ8_0), "q8", 4);
  BenchOptions o;
  o.n_prompt = 48;
  o.n_gen = 12;
  o.n_reps = 3;
  auto r = run_bench(*l.model, *l.cache, *l.pool, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->pp.has_value());
  ASSERT_TRUE(r->tg.has_value());
  EXPECT_EQ(r->pp->n_tokens, 48);
  EXPECT_EQ(r->tg->n_tokens, 12);
  for (const BenchRate* rate : {&*r->pp, &*r->tg}) {
    ASSERT_EQ(rate->samples_tok_s.size(), 3u);
    for (double s : rate->samples_tok_s) EXPECT_GT(s, 0.0);
    EXPECT_GT(rate->mean_tok_s, 0.0);
    EXPECT_GE(rate->stddev_tok_s, 0.0);
    EXPECT_TRUE(std::isfinite(rate->mean_tok_s));
  }
  EXPECT_EQ(l.pool->n_free(), 4);
}

TEST(BenchRunner, SkipsTestsWithZeroTokens) {
  Loaded l = load(tiny_spec_for("llama", DType::kF32), "skip", 2);
  BenchOptions o;
  o.n_prompt = 0;
  o.n_gen = 5;
  o.n_reps = 1;
  o.warmup = false;
  auto r = run_bench(*l.model, *l.cache, *l.pool, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->pp.has_value());
  ASSERT_TRUE(r->tg.has_value());
  EXPECT_EQ(r->tg->stddev_tok_s, 0.0);  // one run: no spread
}

TEST(BenchRunner, RejectsTooSmallCacheAndBadOptions) {
  Loaded l = load(tiny_spec_for("llama", DType::kF32), "small", 2);  // 32 positions
  BenchOptions o;
  o.n_prompt = 33;
  o.n_gen = 4;
  EXPECT_EQ(run_bench(*l.model, *l.cache, *l.pool, o).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bench_context_tokens(o), 33);
  o.n_prompt = 8;
  o.n_reps = 0;
  EXPECT_EQ(run_bench(*l.model, *l.cache, *l.pool, o).status().code(), StatusCode::kInvalidArgument);
}

TEST(BenchRunner, SummarizeRates) {
  const BenchRate r = summarize_rates(7, {10.0, 12.0, 14.0});
  EXPECT_EQ(r.n_tokens, 7);
  EXPECT_DOUBLE_EQ(r.mean_tok_s, 12.0);
  EXPECT_DOUBLE_EQ(r.stddev_tok_s, 2.0);  // sample stddev: sqrt((4 + 0 + 4) / 2)
  EXPECT_EQ(summarize_rates(1, {}).mean_tok_s, 0.0);
}

// Bytes per token from the spec's shape: every matrix and norm, plus one
// embedding row (or the whole table when it is also the output matrix).
uint64_t expected_bytes(const TinyModelSpec& s, DType t) {
  const int64_t hd = s.n_embd / s.n_head, q = s.n_head * hd, kv = s.n_head_kv * hd;
  auto mat = [&](int64_t n_in, int64_t n_out) { return dtype_row_bytes(t, n_in) * n_out; };
  int64_t per_layer = mat(s.n_embd, q) + 2 * mat(s.n_embd, kv) + mat(q, s.n_embd) +
                      2 * mat(s.n_embd, s.n_ff) + mat(s.n_ff, s.n_embd) + 2 * 4 * s.n_embd;
  int64_t total = s.n_layer * per_layer + 4 * s.n_embd;  // + output norm
  total += mat(s.n_embd, s.n_vocab);                          // output (or tied table)
  if (!s.tied_output) total += dtype_row_bytes(t, s.n_embd);  // one embedding row
  return static_cast<uint64_t>(total);
}

TEST(BenchRunner, WeightBytesPerToken) {
  for (bool tied : {false, true}) {
    TinyModelSpec s = tiny_spec_for("llama", DType::kQ4_0);
    s.tied_output = tied;
    Loaded l = load(s, tied ? "tied" : "untied", 1);
    EXPECT_EQ(weight_bytes_per_token(l.model->gguf()), expected_bytes(s, DType::kQ4_0))
        << "tied=" << tied;
  }
}

}  // namespace
}  // namespace impetus::testing
