// Batched forward == one-at-a-time forward: several sequences of different
// lengths sharing forward calls give the same logits (within 1e-5 relative)
// and the same greedy ids as each sequence run alone, token by token.
#include <gtest/gtest.h>

#include <random>

#include "testing/model_harness.h"
#include "testing/paths.h"
#include "testing/reference.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

std::vector<int32_t> argmaxes(const std::vector<float>& logits, int32_t n_vocab) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < logits.size(); i += static_cast<size_t>(n_vocab)) {
    ids.push_back(argmax(logits.data() + i, n_vocab));
  }
  return ids;
}

class BatchedForwardTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchedForwardTest, SameAsAlone) {
  const std::string path = scratch_dir("batched") + "/" + GetParam() + ".gguf";
  write_tiny_model(tiny_spec_for(GetParam(), DType::kF32), path);
  ModelHarness h(path, 2, 128, 4);  // small blocks: sequences span several
  std::mt19937_64 rng(11);
  std::vector<std::vector<int32_t>> seqs;
  for (int len : {3, 17, 9, 30}) {
    std::vector<int32_t> s(static_cast<size_t>(len));
    for (auto& t : s) t = static_cast<int32_t>(rng() % static_cast<uint64_t>(h.n_vocab()));
    seqs.push_back(s);
  }
  for (int32_t chunk : {1, 5, 64}) {
    const auto batched = h.logits_batched(seqs, chunk);
    for (size_t s = 0; s < seqs.size(); ++s) {
      const auto alone = h.logits_one_by_one(seqs[s]);
      EXPECT_LT(max_rel_error(batched[s], alone), 1e-5) << "seq " << s << " chunk " << chunk;
      EXPECT_EQ(argmaxes(batched[s], h.n_vocab()), argmaxes(alone, h.n_vocab()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, BatchedForwardTest, ::testing::Values("llama", "qwen2", "qwen3"));

TEST(ForwardValidation, BadBatchesAreErrorsNotCrashes) {
  const std::string path = scratch_dir("batched") + "/validate.gguf";
  write_tiny_model(TinyModelSpec{}, path);
  ModelHarness h(path, 1, 8, 16);
  auto run = [&](ForwardBatch b) {
    std::vector<float> logits;
    auto cache = KvCache::create(h.model(), 8, 16, DType::kF32);
    return h.model().forward(b, **cache, &logits);
  };
  ForwardBatch b;
  b.info.block_tables = {{0}};
  EXPECT_FALSE(run(b).ok());  // empty
  b.add(h.n_vocab(), 0, 0, true);
  EXPECT_EQ(run(b).code(), StatusCode::kOutOfRange);  // token outside the vocabulary
  ForwardBatch c;
  c.info.block_tables = {{0}};
  c.add(1, 16, 0, true);  // position past the sequence's one block
  EXPECT_EQ(run(c).code(), StatusCode::kOutOfRange);
  ForwardBatch d;
  d.info.block_tables = {{99}};
  d.add(1, 0, 0, true);  // block id outside the cache
  EXPECT_EQ(run(d).code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace impetus::testing
