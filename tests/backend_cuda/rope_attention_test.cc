// RoPE and the KV store done inside the attention kernel (fusion.cc, decode
// steps whose tokens each belong to their own sequence) against the same
// backend with fusion and graphs off: bit-identical logits. Three sequences
// advance in lockstep (one token each per step: fused), mixed with steps
// feeding two tokens of one sequence (not fused), on a GQA model (several
// query heads share each stored K/V head) and an MHA one rotating half of
// each head.
#include <gtest/gtest.h>

#include <random>

#include "cuda_test_util.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "testing/paths.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

struct Lockstep {
  std::unique_ptr<Backend> be;
  std::unique_ptr<Model> model;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<BlockPool> pool;
  std::vector<BlockTable> tables;
  std::vector<int32_t> fed;  // tokens fed per sequence

  Lockstep(std::unique_ptr<Backend> backend, const std::string& path, int n_seqs) : be(std::move(backend)) {
    auto m = Model::load(path, *be);
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    model = std::move(*m);
    auto c = KvCache::create(*be, model->config(), 64, 16, DType::kF16);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    cache = std::move(*c);
    pool = std::make_unique<BlockPool>(64);
    for (int s = 0; s < n_seqs; ++s) tables.emplace_back(*pool, 16);
    fed.assign(static_cast<size_t>(n_seqs), 0);
  }

  // One forward: `count[s]` next tokens of sequence s (from `tokens`).
  std::vector<float> step(const std::vector<int32_t>& count, const std::vector<int32_t>& tokens) {
    ForwardBatch b;
    b.info.block_size = 16;
    for (size_t s = 0; s < tables.size(); ++s) {
      EXPECT_TRUE(tables[s].reserve(fed[s] + count[s]).ok());
      b.info.block_tables.push_back(tables[s].blocks());
    }
    for (size_t s = 0; s < tables.size(); ++s) {
      for (int32_t i = 0; i < count[s]; ++i, ++fed[s]) {
        const int32_t tok = tokens[static_cast<size_t>(fed[s] * 7 + static_cast<int32_t>(s)) % tokens.size()];
        b.add(tok, fed[s], static_cast<int32_t>(s), true);
      }
    }
    std::vector<float> out;
    const Status st = model->forward(b, *cache, &out);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return out;
  }
};

TEST(CudaRopeAttention, LockstepDecodeMatchesUnfused) {
  IMP_REQUIRE_CUDA();
  for (int32_t n_head_kv : {2, 8}) {
    TinyModelSpec spec = tiny_spec_for("llama", DType::kF16);
    spec.n_embd = 256;  // head_dim 32
    spec.n_ff = 512;
    spec.n_head = 8;
    spec.n_head_kv = n_head_kv;
    spec.n_rot = n_head_kv == 8 ? 16 : 0;  // MHA with half of each head rotated
    const std::string path = scratch_dir("cuda_rope_attention") + "/kv" + std::to_string(n_head_kv) + ".gguf";
    write_tiny_model(spec, path);
    auto fast = make_cuda(true, true);
    CudaBackendOptions no_rule;
    no_rule.rope_attention = false;
    auto without = CudaBackend::create(no_rule);
    ASSERT_TRUE(without.ok());
    CudaBackend *fast_raw = fast.get(), *without_raw = without->get();
    Lockstep a(std::move(fast), path, 3), b(make_cuda(false, false), path, 3), c(std::move(*without), path, 3);
    std::vector<int32_t> tokens(97);
    std::mt19937 rng(5);
    for (auto& t : tokens) t = static_cast<int32_t>(rng() % static_cast<uint32_t>(a.model->config().n_vocab));
    const std::vector<std::vector<int32_t>> plan = {{3, 1, 2}, {1, 1, 1}, {1, 1, 1}, {2, 0, 1}, {1, 1, 1},
                                                    {0, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}};
    for (size_t i = 0; i < plan.size(); ++i) {
      const auto want = b.step(plan[i], tokens);
      ASSERT_EQ(a.step(plan[i], tokens), want) << "kv heads " << n_head_kv << " step " << i;
      ASSERT_EQ(c.step(plan[i], tokens), want) << "kv heads " << n_head_kv << " step " << i;
    }
    // The rule fired: more commands fused than without it (one per layer but
    // the last of each decode list run outside a graph replay).
    EXPECT_GT(fast_raw->stats().fused_ops, without_raw->stats().fused_ops);
  }
}

}  // namespace
}  // namespace impetus::testing
