// The engine loop: continuous batching gives every request the same greedy
// output as running it alone, whatever else runs beside it, including after
// preemption and recompute; cancellation, stop strings and limits.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <random>

#include "backend/cpu/cpu_backend.h"
#include "testing/paths.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

struct Collected {
  std::string text;
  std::vector<int32_t> n_events;
  GenerationEvent last;
  int events = 0;
  bool done = false;
};

EventSink collect(Collected* c) {
  return [c](GenerationEvent&& ev) {
    EXPECT_FALSE(c->done) << "event after the last one";
    c->text += ev.text;
    ++c->events;
    if (ev.done()) {
      c->done = true;
      c->last = std::move(ev);
    }
  };
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<CpuBackend>(CpuBackendOptions{2});
    auto m = Model::load(shared_testdata("models/stories260K/stories260K.gguf"), *backend_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(*m);
    auto t = Tokenizer::from_gguf(model_->gguf());
    ASSERT_TRUE(t.ok());
    tok_ = std::move(*t);
  }

  std::unique_ptr<Engine> make_engine(int64_t kv_bytes = 0, int32_t max_batch = 64,
                                      int32_t block_size = 16) {
    EngineOptions o;
    o.start_thread = false;
    o.kv_type = DType::kF32;
    o.kv_cache_bytes = kv_bytes;
    o.block_size = block_size;
    o.scheduler.max_batch_tokens = max_batch;
    o.scheduler.max_context = 256;
    auto e = Engine::create(*model_, *tok_, o);
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(*e);
  }

  GenerationRequest greedy(const std::string& prompt, int32_t n) {
    GenerationRequest r;
    r.prompt = tok_->encode(prompt, true, true);
    r.sampling.temperature = 0.0f;
    r.max_tokens = n;
    return r;
  }

  std::string alone(const std::string& prompt, int32_t n) {
    auto e = make_engine();
    Collected c;
    EXPECT_TRUE(e->submit(greedy(prompt, n), collect(&c)).ok());
    e->run_until_idle();
    EXPECT_TRUE(c.done);
    return c.text;
  }

  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tok_;
};

const std::vector<std::string> kPrompts = {"Once upon a time", "Zoo", "The little dog",
                                           "Lily and Tom went to the park. They saw", "One day",
                                           "She was sad because"};

TEST_F(EngineTest, BatchedEqualsAlone) {
  std::vector<std::string> want;
  for (const auto& p : kPrompts) want.push_back(alone(p, 40));
  auto e = make_engine();
  std::vector<Collected> got(kPrompts.size());
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    ASSERT_TRUE(e->submit(greedy(kPrompts[i], 40), collect(&got[i])).ok());
  }
  e->run_until_idle();
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(got[i].text, want[i]) << kPrompts[i];
    EXPECT_EQ(got[i].last.finish, FinishReason::kLength);
    EXPECT_EQ(got[i].last.completion_tokens, 40);
    EXPECT_EQ(got[i].last.prompt_tokens, static_cast<int32_t>(tok_->encode(kPrompts[i], true, true).size()));
  }
  EXPECT_EQ(e->stats().kv_blocks_used, 0u);
}

TEST_F(EngineTest, RandomInterleavingsAndPreemption) {
  std::vector<std::string> want;
  for (const auto& p : kPrompts) want.push_back(alone(p, 60));
  for (uint64_t seed : {1, 2, 3}) {
    // A cache of 12 blocks of 8 tokens cannot hold six 60+ token sequences: preemption must happen.
    const size_t per_block = KvCache::bytes_per_block(model_->config(), 8, DType::kF32);
    auto e = make_engine(static_cast<int64_t>(per_block * 12), 7, 8);
    std::mt19937_64 rng(seed);
    std::vector<Collected> got(kPrompts.size());
    std::vector<size_t> order(kPrompts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
      ASSERT_TRUE(e->submit(greedy(kPrompts[i], 60), collect(&got[i])).ok());
      for (uint64_t k = rng() % 5; k > 0; --k) e->step();  // join at random steps
    }
    e->run_until_idle();
    for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(got[i].text, want[i]) << "seed " << seed;
    EXPECT_GT(e->stats().preemptions, 0u);
    EXPECT_EQ(e->stats().kv_blocks_used, 0u);
  }
}

TEST_F(EngineTest, CancelFreesBlocks) {
  auto e = make_engine();
  Collected a, b;
  auto id = e->submit(greedy("Once upon a time", 200), collect(&a));
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(e->submit(greedy("Zoo", 20), collect(&b)).ok());
  for (int i = 0; i < 5; ++i) e->step();
  EXPECT_GT(e->stats().kv_blocks_used, 0u);
  e->cancel(*id);
  e->run_until_idle();
  EXPECT_EQ(a.last.finish, FinishReason::kCancelled);
  EXPECT_LT(a.last.completion_tokens, 200);
  EXPECT_EQ(b.text, alone("Zoo", 20));
  EXPECT_EQ(e->stats().kv_blocks_used, 0u);
}

TEST_F(EngineTest, StopStringsAreHeldBackAndCut) {
  const std::string full = alone("Once upon a time", 40);
  ASSERT_NE(full.find("Lily"), std::string::npos) << full;
  auto e = make_engine();
  GenerationRequest r = greedy("Once upon a time", 40);
  r.stop = {"Lily", "never-appears"};
  Collected c;
  ASSERT_TRUE(e->submit(r, collect(&c)).ok());
  e->run_until_idle();
  EXPECT_EQ(c.text, full.substr(0, full.find("Lily")));
  EXPECT_EQ(c.last.finish, FinishReason::kStop);
}

TEST_F(EngineTest, ThreadedEngineServesConcurrentSubmitters) {
  EngineOptions o;
  o.kv_type = DType::kF32;
  o.scheduler.max_context = 256;
  auto e = Engine::create(*model_, *tok_, o);
  ASSERT_TRUE(e.ok());
  std::vector<Collected> got(kPrompts.size());
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  std::vector<std::thread> clients;
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    clients.emplace_back([&, i] {
      auto sink = [&, i](GenerationEvent&& ev) {
        std::lock_guard<std::mutex> lock(mu);
        got[i].text += ev.text;
        if (ev.done()) {
          got[i].done = true;
          ++done;
          cv.notify_all();
        }
      };
      ASSERT_TRUE((*e)->submit(greedy(kPrompts[i], 30), sink).ok());
    });
  }
  for (auto& t : clients) t.join();
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == static_cast<int>(kPrompts.size()); }));
  lock.unlock();
  for (size_t i = 0; i < kPrompts.size(); ++i) EXPECT_EQ(got[i].text, alone(kPrompts[i], 30));
}

TEST_F(EngineTest, RejectsBadRequests) {
  auto e = make_engine();
  GenerationRequest r = greedy("x", 4);
  r.prompt.assign(300, 5);  // longer than the 256-token context
  EXPECT_EQ(e->submit(r, [](GenerationEvent&&) {}).status().code(), StatusCode::kInvalidArgument);
  r = greedy("x", 4);
  r.sampling.top_p = 2.0f;
  EXPECT_EQ(e->submit(r, [](GenerationEvent&&) {}).status().code(), StatusCode::kInvalidArgument);
  r = greedy("x", 4);
  r.prompt = {9999};
  EXPECT_FALSE(e->submit(r, [](GenerationEvent&&) {}).ok());
}

TEST_F(EngineTest, LogprobsAndSeededSampling) {
  auto run = [&](uint64_t seed) {
    auto e = make_engine();
    GenerationRequest r = greedy("Once", 16);
    r.sampling.temperature = 1.0f;
    r.sampling.seed = seed;
    r.n_logprobs = 3;
    Collected c;
    std::vector<TokenLogprobs> lps;
    EXPECT_TRUE(e->submit(r, [&](GenerationEvent&& ev) {
      for (auto& l : ev.logprobs) lps.push_back(l);
      collect(&c)(std::move(ev));
    }).ok());
    e->run_until_idle();
    EXPECT_EQ(lps.size(), 16u);
    for (const auto& l : lps) {
      EXPECT_LE(l.chosen.logprob, 0.0f);
      EXPECT_EQ(l.top.size(), 3u);
      if (l.top.size() < 2) continue;
      EXPECT_GE(l.top[0].logprob, l.top[1].logprob);
    }
    return c.text;
  };
  EXPECT_EQ(run(5), run(5));
  EXPECT_NE(run(5), run(6));
}

}  // namespace
}  // namespace impetus::testing
