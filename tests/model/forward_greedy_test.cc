// Model::forward_greedy: the ids it returns (the backend's argmax_rows) are
// the argmax of the logits forward() returns for the same batch, row by row,
// by core/argmax.h's rule (checked here against an independent scan).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "core/argmax.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "testing/paths.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

// First index of the maximum, NaN skipped, 0 when nothing beats -inf.
int32_t scan_argmax(const float* x, int64_t n) {
  int32_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(x[i])) continue;
    if (best < 0 || x[i] > x[best]) best = static_cast<int32_t>(i);
  }
  return best < 0 || x[best] == -std::numeric_limits<float>::infinity() ? 0 : best;
}

TEST(ForwardGreedy, IdsAreTheArgmaxOfTheLogits) {
  for (const char* arch : {"llama", "qwen2"}) {
    const std::string path = scratch_dir("forward_greedy") + "/" + arch + ".gguf";
    write_tiny_model(tiny_spec_for(arch, DType::kQ8_0), path);
    CpuBackend be(CpuBackendOptions{2});
    auto model = Model::load(path, be);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    auto cache = KvCache::create(**model, 8, 16, DType::kF32);
    ASSERT_TRUE(cache.ok());
    BlockPool pool(8);
    BlockTable table(pool, 16);
    ASSERT_TRUE(table.reserve(20).ok());
    std::mt19937_64 rng(3);
    ForwardBatch b;
    b.info.block_size = 16;
    b.info.block_tables = {table.blocks()};
    for (int32_t i = 0; i < 20; ++i) {
      b.add(static_cast<int32_t>(rng() % static_cast<uint64_t>((*model)->config().n_vocab)), i, 0, i % 3 != 1);
    }
    std::vector<float> logits;
    std::vector<int32_t> ids;
    ASSERT_TRUE((*model)->forward(b, **cache, &logits).ok());
    ASSERT_TRUE((*model)->forward_greedy(b, **cache, &ids).ok());
    const int32_t n_vocab = (*model)->config().n_vocab;
    ASSERT_EQ(ids.size(), b.output_rows.size());
    for (size_t r = 0; r < ids.size(); ++r) {
      EXPECT_EQ(ids[r], scan_argmax(logits.data() + r * static_cast<size_t>(n_vocab), n_vocab)) << arch << " " << r;
    }
  }
}

TEST(ForwardGreedy, ArgmaxRowRule) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  const std::vector<std::vector<float>> rows = {
      {1, 3, 3, 2}, {nan, -inf, 2, nan}, {nan, nan, nan}, {-inf, -inf}, {-inf, 5, inf, inf}, {0, -0.0f, 0}};
  for (const auto& row : rows) {
    EXPECT_EQ(argmax_row(row.data(), static_cast<int64_t>(row.size())),
              scan_argmax(row.data(), static_cast<int64_t>(row.size())));
  }
}

}  // namespace
}  // namespace impetus::testing
