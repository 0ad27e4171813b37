// Time to first token of a 512-token prompt on CUDA, cold and warm (not a
// correctness test: DISABLED_, run by bench/gpu/run.sh with
// --gtest_also_run_disabled_tests). The model file comes from the
// environment (IMPETUS_TTFT_MODEL; skipped without it). One process
// measures, in order:
//   load      Model::load (weights uploaded);
//   warm-up   with IMPETUS_TTFT_WARMUP=1 only: what the server does after a
//             load (a 7-token prompt and 4 decode steps, as
//             app/model_manager.cc run_warmup);
//   first     the first 512-token prompt forward of the process (logits of
//             the last position back on the host): cold without the warm-up;
//   warm      the same forward repeated (median of 5): every kernel loaded,
//             every scratch buffer grown, cuBLAS initialized.
// Each forward starts from an empty KV cache, as a new request would.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "cuda_test_util.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace impetus::testing {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// One forward over `tokens` at positions from `pos0` in a fresh sequence;
// logits of the last token only. Returns milliseconds.
double timed_forward(Model& model, KvCache& cache, BlockPool& pool, const std::vector<int32_t>& tokens) {
  const auto t0 = std::chrono::steady_clock::now();
  BlockTable table(pool, cache.block_size());
  EXPECT_TRUE(table.reserve(static_cast<int64_t>(tokens.size())).ok());
  ForwardBatch b;
  b.info.block_size = cache.block_size();
  b.info.block_tables = {table.blocks()};
  for (size_t i = 0; i < tokens.size(); ++i) b.add(tokens[i], static_cast<int32_t>(i), 0, i + 1 == tokens.size());
  std::vector<float> out;
  const Status s = model.forward(b, cache, &out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return ms_since(t0);
}

// One warm-up request: `prompt`, then 4 decode steps.
void warmup_request(Model& model, KvCache& cache, BlockPool& pool, std::vector<int32_t> seq) {
  BlockTable table(pool, cache.block_size());
  ASSERT_TRUE(table.reserve(static_cast<int64_t>(seq.size() + 4)).ok());
  std::vector<float> out;
  size_t fed = 0;
  for (int step = 0; step < 5; ++step) {
    ForwardBatch b;
    b.info.block_size = cache.block_size();
    b.info.block_tables = {table.blocks()};
    for (; fed < seq.size(); ++fed) b.add(seq[fed], static_cast<int32_t>(fed), 0, fed + 1 == seq.size());
    ASSERT_TRUE(model.forward(b, cache, &out).ok());
    seq.push_back(static_cast<int32_t>(std::max_element(out.begin(), out.end()) - out.begin()));
  }
}

// The server's load-time warm-up (app/model_manager.cc run_warmup): a short
// prompt and a 96-token one, each followed by decode steps.
void server_warmup(Model& model, KvCache& cache, BlockPool& pool) {
  warmup_request(model, cache, pool, {1, 15043, 29892, 920, 526, 366, 9826});
  std::vector<int32_t> long_prompt = {1};
  for (int i = 1; i < 96; ++i) long_prompt.push_back(100 + (i * 37) % 20000);
  warmup_request(model, cache, pool, long_prompt);
}

TEST(CudaPerf, DISABLED_TimeToFirstToken) {
  IMP_REQUIRE_CUDA();
  const char* path = std::getenv("IMPETUS_TTFT_MODEL");
  if (path == nullptr || *path == '\0') GTEST_SKIP() << "IMPETUS_TTFT_MODEL is not set";
  const bool warmup = std::getenv("IMPETUS_TTFT_WARMUP") != nullptr;
  auto be = make_cuda();
  ASSERT_NE(be, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  auto m = Model::load(path, *be);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  be->synchronize();
  const double load_ms = ms_since(t0);
  auto c = KvCache::create(**m, 64, 16, DType::kF16);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  BlockPool pool(64);
  double warmup_ms = 0.0;
  if (warmup) {
    t0 = std::chrono::steady_clock::now();
    server_warmup(**m, **c, pool);
    warmup_ms = ms_since(t0);
  }
  std::mt19937_64 rng(5);
  std::vector<int32_t> prompt(512);
  for (auto& t : prompt) t = static_cast<int32_t>(rng() % static_cast<uint64_t>((*m)->config().n_vocab));
  const double first = timed_forward(**m, **c, pool, prompt);
  std::vector<double> warm;
  for (int r = 0; r < 5; ++r) warm.push_back(timed_forward(**m, **c, pool, prompt));
  std::sort(warm.begin(), warm.end());
  std::printf("PERF ttft512 %s: load %.0f ms, warm-up %.0f ms, first prompt %.1f ms, warm prompt %.1f ms "
              "(median of 5, min %.1f)\n",
              warmup ? "after server warm-up" : "cold (no warm-up)", load_ms, warmup_ms, first, warm[2], warm[0]);
}

}  // namespace
}  // namespace impetus::testing
