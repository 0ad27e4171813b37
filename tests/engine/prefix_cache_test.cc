// Automatic prefix caching: a request reuses the longest cached prefix,
// whoever sent it; outputs are identical with and without the cache, after
// eviction and after preemption; conversations can be pinned and cleared.
#include <gtest/gtest.h>

#include <random>

#include "backend/cpu/cpu_backend.h"
#include "engine/engine.h"
#include "testing/paths.h"

namespace impetus::testing {
namespace {

struct Out {
  std::string text;
  std::vector<int32_t> ids;
  GenerationEvent last;
};

class PrefixCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<CpuBackend>(CpuBackendOptions{2});
    auto m = Model::load(shared_testdata("models/stories260K/stories260K.gguf"), *backend_);
    ASSERT_TRUE(m.ok());
    model_ = std::move(*m);
    tok_ = std::move(*Tokenizer::from_gguf(model_->gguf()));
  }

  std::unique_ptr<Engine> engine(bool caching, int64_t kv_blocks = 0, int32_t block_size = 8) {
    EngineOptions o;
    o.start_thread = false;
    o.kv_type = DType::kF32;
    o.block_size = block_size;
    o.prefix_caching = caching;
    o.scheduler.max_context = 512;
    o.scheduler.max_batch_tokens = 64;
    if (kv_blocks > 0) {
      o.kv_cache_bytes = kv_blocks * static_cast<int64_t>(
                                        KvCache::bytes_per_block(model_->config(), block_size, DType::kF32));
    }
    return std::move(*Engine::create(*model_, *tok_, o));
  }

  static EventSink sink(Out* out) {
    return [out](GenerationEvent&& ev) {
      out->text += ev.text;
      if (ev.done()) out->last = std::move(ev);
    };
  }

  GenerationRequest greedy(const std::vector<int32_t>& prompt, int32_t n, const std::string& conv = "") {
    GenerationRequest r;
    r.prompt = prompt;
    r.sampling.temperature = 0.0f;
    r.max_tokens = n;
    r.conversation_id = conv;
    return r;
  }

  Out run(Engine& e, const GenerationRequest& r) {
    Out o;
    EXPECT_TRUE(e.submit(r, sink(&o)).ok());
    e.run_until_idle();
    return o;
  }

  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(PrefixCacheTest, SecondRequestReusesTheSharedPrefix) {
  const auto prompt = tok_->encode("Once upon a time, there was a little girl named Lily. She loved to play", true, true);
  auto cold = engine(false);
  const Out want = run(*cold, greedy(prompt, 30));
  auto e = engine(true);
  const Out first = run(*e, greedy(prompt, 30));
  const uint64_t computed1 = e->stats().prompt_tokens_computed;
  const Out second = run(*e, greedy(prompt, 30));
  EXPECT_EQ(first.text, want.text);
  EXPECT_EQ(second.text, want.text);
  EXPECT_EQ(first.last.cached_prompt_tokens, 0);
  // All full blocks but the one holding the last prompt token come from the cache.
  const int32_t expect_cached = static_cast<int32_t>((prompt.size() - 1) / 8 * 8);
  EXPECT_EQ(second.last.cached_prompt_tokens, expect_cached);
  EXPECT_EQ(e->stats().prompt_tokens_computed - computed1, prompt.size() - static_cast<size_t>(expect_cached));
  EXPECT_EQ(e->stats().prompt_tokens_reused, static_cast<uint64_t>(expect_cached));
  EXPECT_GT(e->cache_status().lookups_hit, 0u);
}

TEST_F(PrefixCacheTest, MultiTurnComputesOnlyTheNewTokens) {
  auto e = engine(true);
  std::vector<int32_t> history = tok_->encode("Tom had a red ball.", true, true);
  for (int turn = 0; turn < 5; ++turn) {
    const uint64_t before = e->stats().prompt_tokens_computed;
    Out o = run(*e, greedy(history, 16));
    const uint64_t computed = e->stats().prompt_tokens_computed - before;
    if (turn > 0) {
      // Only the tail since the last full cached block is recomputed.
      EXPECT_LE(computed, 8u + 16u + 12u) << "turn " << turn;
    }
    // The next turn re-sends the history, the answer and a new user line.
    auto answer = tok_->encode(o.text, false, false);
    history.insert(history.end(), answer.begin(), answer.end());
    auto next = tok_->encode(" Then they went home.", false, false);
    history.insert(history.end(), next.begin(), next.end());
  }
}

TEST_F(PrefixCacheTest, IdenticalOutputsUnderEvictionAndPreemption) {
  std::mt19937_64 rng(9);
  const std::vector<std::string> stems = {"Once upon a time", "The cat sat", "Lily and Tom",
                                          "One day, a big dog"};
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 12; ++i) {
    auto p = tok_->encode(stems[i % stems.size()] + " went to the park and", true, true);
    for (int k = 0; k < i; ++k) p.push_back(259 + static_cast<int32_t>(rng() % 200));
    prompts.push_back(p);
  }
  std::vector<std::string> want;
  {
    auto plain = engine(false);
    for (const auto& p : prompts) want.push_back(run(*plain, greedy(p, 40)).text);
  }
  for (int64_t blocks : {0, 24}) {  // roomy, then tight enough to evict and preempt
    auto e = engine(true, blocks);
    std::vector<Out> got(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
      ASSERT_TRUE(e->submit(greedy(prompts[i], 40), sink(&got[i])).ok());
      for (uint64_t k = rng() % 4; k > 0; --k) e->step();
    }
    e->run_until_idle();
    for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(got[i].text, want[i]) << "blocks " << blocks << " #" << i;
    EXPECT_EQ(e->stats().kv_blocks_used, 0u);
    if (blocks > 0) {
      EXPECT_GT(e->stats().preemptions, 0u);
    }
    EXPECT_GT(e->stats().prompt_tokens_reused, 0u);
  }
}

TEST_F(PrefixCacheTest, ConversationsArePinnedListedAndCleared) {
  auto e = engine(true);
  const auto prompt = tok_->encode("Once upon a time, there was a little girl named Lily.", true, true);
  run(*e, greedy(prompt, 20, "conv-1"));
  run(*e, greedy(tok_->encode("The dog ran", true, true), 20, "conv-2"));
  CacheStatus st = e->cache_status();
  ASSERT_EQ(st.conversations.size(), 2u);
  EXPECT_EQ(st.conversations[0].conversation_id, "conv-1");
  EXPECT_GT(st.conversations[0].tokens, 0);
  EXPECT_GT(st.conversations[0].memory_bytes, 0u);
  EXPECT_GT(st.blocks_used, 0);  // pinned blocks stay referenced
  e->clear_cache("conv-1");
  st = e->cache_status();
  ASSERT_EQ(st.conversations.size(), 1u);
  EXPECT_EQ(st.conversations[0].conversation_id, "conv-2");
  e->clear_cache();
  st = e->cache_status();
  EXPECT_TRUE(st.conversations.empty());
  EXPECT_EQ(st.blocks_used, 0);
  EXPECT_EQ(st.blocks_cached, 0);
}

TEST_F(PrefixCacheTest, SettingsAreValidatedAndApplied) {
  auto e = engine(true);
  CacheSettings s = e->cache_settings();
  EXPECT_TRUE(s.enabled);
  CacheSettings bad = s;
  bad.memory_budget_bytes = s.memory_budget_bytes * 2;
  EXPECT_EQ(e->set_cache_settings(bad).code(), StatusCode::kInvalidArgument);
  bad = s;
  bad.max_pinned_conversations = -1;
  EXPECT_EQ(e->set_cache_settings(bad).code(), StatusCode::kInvalidArgument);
  CacheSettings smaller = s;
  smaller.memory_budget_bytes = s.memory_budget_bytes / 2;
  smaller.max_pinned_conversations = 1;
  smaller.enabled = false;
  ASSERT_TRUE(e->set_cache_settings(smaller).ok());
  EXPECT_EQ(e->cache_settings().max_pinned_conversations, 1);
  EXPECT_FALSE(e->cache_status().enabled);
  EXPECT_LT(e->cache_status().memory_max_bytes, s.memory_budget_bytes);
  const auto prompt = tok_->encode("Once upon a time, there was", true, true);
  run(*e, greedy(prompt, 8));
  const Out again = run(*e, greedy(prompt, 8));
  EXPECT_EQ(again.last.cached_prompt_tokens, 0);  // caching off
}

}  // namespace
}  // namespace impetus::testing
