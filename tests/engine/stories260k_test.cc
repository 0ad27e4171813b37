// The real trained model stories260K: greedy generation reproduces the
// known-good outputs listed in ../shared/testdata/PROVENANCE.md (checked
// there against llama2.c), and perplexity matches the numpy reference.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "engine/generator.h"
#include "engine/perplexity.h"
#include "testing/model_harness.h"
#include "testing/paths.h"
#include "testing/reference.h"

namespace impetus::testing {
namespace {

const std::string kModel = "models/stories260K/stories260K.gguf";

class Stories260K : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<CpuBackend>(CpuBackendOptions{2});
    auto m = Model::load(shared_testdata(kModel), *backend_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(*m);
    auto t = Tokenizer::from_gguf(model_->gguf());
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    tokenizer_ = std::move(*t);
    auto c = KvCache::create(*model_, 32, 16, DType::kF32);
    ASSERT_TRUE(c.ok());
    cache_ = std::move(*c);
    pool_ = std::make_unique<BlockPool>(32);
  }

  GenerationResult greedy(const std::string& prompt, int32_t n) {
    Generator gen(*model_, *tokenizer_, *cache_, *pool_);
    GenerationOptions opt;
    opt.n_predict = n;
    opt.sampling.temperature = 0.0f;
    auto ids = tokenizer_->encode(prompt, true, true);
    auto r = gen.generate(ids, opt, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : GenerationResult{};
  }

  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<BlockPool> pool_;
};

TEST_F(Stories260K, TopLogitsAtBos) {
  ModelHarness h(shared_testdata(kModel), 1, 4, 16);
  const auto logits = h.logits_all({1});
  const std::vector<std::pair<int32_t, float>> expected = {
      {403, 17.0235f}, {385, 15.4062f}, {410, 13.1083f}, {317, 12.7692f}, {407, 12.4181f}};
  std::vector<int32_t> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(order[i], expected[i].first);
    EXPECT_NEAR(logits[static_cast<size_t>(expected[i].first)], expected[i].second, 1e-3);
  }
}

TEST_F(Stories260K, NoPromptGreedy256Steps) {
  // BOS + 255 generated tokens = llama2.c's 256 steps.
  const auto r = greedy("", 255);
  const std::vector<int32_t> first40 = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298,
                                        315, 421, 395, 317, 426, 338, 401, 396, 267, 337,
                                        410, 408, 419, 292, 411, 322, 265, 282, 295, 433,
                                        426, 385, 328, 432, 358, 394, 261, 370, 432, 352};
  ASSERT_GE(r.ids.size(), first40.size());
  EXPECT_EQ(std::vector<int32_t>(r.ids.begin(), r.ids.begin() + 40), first40);
  EXPECT_EQ(r.ids.size(), 255u);
  const std::string start =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
      "park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.";
  EXPECT_NE(r.text.find(start), std::string::npos) << r.text;
  // The whole 255-step output matches the numpy reference's greedy ids.
  auto ref = run_reference(shared_testdata(kModel), {1}, 512, 255);
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_EQ(r.ids, ref.generated);
}

TEST_F(Stories260K, ZooPrompt) {
  EXPECT_EQ(tokenizer_->encode("Zoo", true, true), (std::vector<int32_t>{1, 410, 469, 347}));
  const auto r = greedy("Zoo", 57);
  EXPECT_EQ("Zoo" + r.text,
            "Zoo was a little girl named Lily. She loved to play outside in the park. One day, "
            "she saw a big, red ball. She wanted to play with it, but she didn't want to play with");
}

TEST_F(Stories260K, PerplexityMatchesNumpy) {
  std::ifstream in(shared_testdata("models/stories260K/stories260K.upstream-doc.md"));
  std::stringstream ss;
  ss << in.rdbuf();
  const auto tokens = tokenizer_->encode(ss.str(), true, false);
  ASSERT_GE(tokens.size(), 256u);
  auto ours = compute_perplexity(*model_, *cache_, tokens, 128, tokenizer_->bos_id(), 48);
  ASSERT_TRUE(ours.ok()) << ours.status().to_string();
  const std::string ids_file = scratch_dir("ppl") + "/ids.txt";
  {
    std::ofstream out(ids_file);
    for (int32_t t : tokens) out << t << ' ';
  }
  std::string out;
  const int rc = run_command(reference_python() + " " + source_path("tools/ref_forward.py") + " " +
                                 shared_testdata(kModel) + " --perplexity --ctx 128 --tokens-file " +
                                 ids_file,
                             &out);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(ours->n_chunks, j["n_chunks"].get<int>());
  EXPECT_NEAR(ours->ppl, j["ppl"].get<double>(), 1e-4 * j["ppl"].get<double>());
  EXPECT_GT(ours->ppl, 1.0);
}

}  // namespace
}  // namespace impetus::testing
