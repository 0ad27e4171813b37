// The load generator against a real engine (stories260K, its own thread):
// counts add up, latencies are ordered, nothing stays referenced afterwards,
// and the multi-turn chat computes only the new tokens once cached.
#include "engine/load_generator.h"

#include <gtest/gtest.h>

#include "backend/cpu/cpu_backend.h"
#include "engine/engine.h"
#include "testing/paths.h"

namespace impetus::testing {
namespace {

class LoadGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<CpuBackend>(CpuBackendOptions{2});
    auto m = Model::load(shared_testdata("models/stories260K/stories260K.gguf"), *backend_);
    ASSERT_TRUE(m.ok());
    model_ = std::move(*m);
    tok_ = std::move(*Tokenizer::from_gguf(model_->gguf()));
  }

  std::unique_ptr<Engine> engine(int64_t kv_blocks = 0, int32_t max_running = 8) {
    EngineOptions o;
    o.kv_type = DType::kF32;
    o.block_size = 16;
    o.scheduler.max_context = 512;
    o.scheduler.max_running = max_running;
    o.scheduler.max_batch_tokens = 128;
    if (kv_blocks > 0) {
      o.kv_cache_bytes = kv_blocks * static_cast<int64_t>(
                                        KvCache::bytes_per_block(model_->config(), 16, DType::kF32));
    }
    return std::move(*Engine::create(*model_, *tok_, o));
  }

  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(LoadGeneratorTest, CountsAndLatenciesAddUp) {
  auto e = engine();
  LoadOptions o;
  o.concurrency = 4;
  o.requests_per_client = 2;
  o.prompt_len = 40;
  o.gen_len = 12;
  auto r = run_load(*e, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->n_requests, 8);
  EXPECT_EQ(r->prompt_tokens, 8 * 40);
  EXPECT_EQ(r->generated_tokens, 8 * 12);
  EXPECT_GT(r->generated_tok_s, 0.0);
  EXPECT_GT(r->ttft.p50_ms, 0.0);
  EXPECT_LE(r->ttft.p50_ms, r->ttft.p99_ms);
  EXPECT_LE(r->ttft.p99_ms, r->ttft.max_ms);
  EXPECT_GT(r->tpot.mean_ms, 0.0);
  // Random prompts share at most the BOS block prefix: nearly everything is computed.
  EXPECT_GE(r->prompt_tokens_computed, 8u * 40u - 8u * 16u);
  EXPECT_EQ(r->kv_blocks_used_after, 0);
}

TEST_F(LoadGeneratorTest, RandomLengthsUnderATightCacheStillFinishAndLeaveNothing) {
  // 33 blocks (one full context, the least an engine takes) for 16 clients
  // running at once and wanting up to 80 tokens (5 blocks) each.
  auto e = engine(/*kv_blocks=*/33, /*max_running=*/16);
  LoadOptions o;
  o.concurrency = 16;
  o.prompt_len = 64;
  o.min_prompt_len = 8;
  o.gen_len = 16;
  auto r = run_load(*e, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->generated_tokens, 16 * 16);
  EXPECT_GT(r->preemptions, 0u);
  EXPECT_EQ(r->kv_blocks_used_after, 0);
  EXPECT_EQ(e->cache_status().blocks_total, 33);
}

TEST_F(LoadGeneratorTest, ASharedPrefixIsComputedOnce) {
  auto e = engine();
  LoadOptions o;
  o.concurrency = 1;
  o.requests_per_client = 4;
  o.prompt_len = 48;
  o.shared_prefix = 32;  // two full blocks
  o.gen_len = 4;
  auto r = run_load(*e, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->prompt_tokens_reused, 3u * 32u);
  EXPECT_EQ(r->prompt_tokens_computed, 4u * 48u - 3u * 32u);
}

TEST_F(LoadGeneratorTest, RejectsImpossibleOptions) {
  auto e = engine();
  LoadOptions o;
  o.prompt_len = 500;
  o.gen_len = 100;  // > 512 context
  EXPECT_FALSE(run_load(*e, o).ok());
  o.prompt_len = 10;
  o.gen_len = 10;
  o.min_prompt_len = 20;
  EXPECT_FALSE(run_load(*e, o).ok());
}

TEST_F(LoadGeneratorTest, MultiTurnComputesOnlyNewTokensWithTheCache) {
  auto e = engine();
  MultiTurnOptions o;
  o.turns = 5;
  o.system_len = 60;
  o.user_len = 20;
  o.reply_len = 12;
  auto turns = run_multi_turn(*e, o);
  ASSERT_TRUE(turns.ok()) << turns.status().to_string();
  ASSERT_EQ(turns->size(), 5u);
  EXPECT_EQ((*turns)[0].computed_tokens, static_cast<uint64_t>((*turns)[0].prompt_tokens));
  for (size_t i = 1; i < turns->size(); ++i) {
    const auto& t = (*turns)[i];
    // Reuse is by whole 16-token blocks: the tail of the last full block is recomputed.
    EXPECT_LE(t.computed_tokens, static_cast<uint64_t>(t.new_tokens + 16)) << "turn " << i + 1;
    EXPECT_EQ(t.cached_tokens + static_cast<int32_t>(t.computed_tokens), t.prompt_tokens);
  }
  e->clear_cache();
  CacheSettings s = e->cache_settings();
  s.enabled = false;
  ASSERT_TRUE(e->set_cache_settings(s).ok());
  auto off = run_multi_turn(*e, o);
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->back().computed_tokens, static_cast<uint64_t>(off->back().prompt_tokens));
}

}  // namespace
}  // namespace impetus::testing
