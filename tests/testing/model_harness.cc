#include "testing/model_harness.h"

#include <gtest/gtest.h>

namespace impetus::testing {

int32_t argmax(const float* v, int32_t n) {
  int32_t best = 0;
  for (int32_t i = 1; i < n; ++i) {
    if (v[i] > v[best]) best = i;
  }
  return best;
}

ModelHarness::ModelHarness(const std::string& path, int n_threads, int32_t n_blocks,
                           int32_t block_size, DType kv_type) {
  backend_ = std::make_unique<CpuBackend>(CpuBackendOptions{n_threads});
  auto m = Model::load(path, *backend_);
  if (!m.ok()) {
    ADD_FAILURE() << m.status().to_string();
    std::abort();
  }
  model_ = std::move(*m);
  auto c = KvCache::create(*model_, n_blocks, block_size, kv_type);
  if (!c.ok()) {
    ADD_FAILURE() << c.status().to_string();
    std::abort();
  }
  cache_ = std::move(*c);
  pool_ = std::make_unique<BlockPool>(n_blocks);
}

std::vector<float> ModelHarness::logits_all(const std::vector<int32_t>& tokens) {
  BlockTable table(*pool_, cache_->block_size());
  EXPECT_TRUE(table.reserve(static_cast<int64_t>(tokens.size())).ok());
  ForwardBatch b;
  b.info.block_size = cache_->block_size();
  b.info.block_tables = {table.blocks()};
  for (size_t i = 0; i < tokens.size(); ++i) b.add(tokens[i], static_cast<int32_t>(i), 0, true);
  std::vector<float> logits;
  Status s = model_->forward(b, *cache_, &logits);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return logits;
}

std::vector<float> ModelHarness::logits_one_by_one(const std::vector<int32_t>& tokens) {
  BlockTable table(*pool_, cache_->block_size());
  std::vector<float> all, logits;
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_TRUE(table.reserve(static_cast<int64_t>(i + 1)).ok());
    ForwardBatch b;
    b.info.block_size = cache_->block_size();
    b.info.block_tables = {table.blocks()};
    b.add(tokens[i], static_cast<int32_t>(i), 0, true);
    Status s = model_->forward(b, *cache_, &logits);
    EXPECT_TRUE(s.ok()) << s.to_string();
    all.insert(all.end(), logits.begin(), logits.end());
  }
  return all;
}

std::vector<std::vector<float>> ModelHarness::logits_batched(
    const std::vector<std::vector<int32_t>>& seqs, int32_t chunk) {
  std::vector<BlockTable> tables;
  for (size_t s = 0; s < seqs.size(); ++s) {
    tables.emplace_back(*pool_, cache_->block_size());
    EXPECT_TRUE(tables.back().reserve(static_cast<int64_t>(seqs[s].size())).ok());
  }
  std::vector<std::vector<float>> out(seqs.size());
  std::vector<size_t> done(seqs.size(), 0);
  const int32_t n_vocab = this->n_vocab();
  for (;;) {
    ForwardBatch b;
    b.info.block_size = cache_->block_size();
    std::vector<int32_t> owner;  // sequence of each output row
    for (size_t s = 0; s < seqs.size(); ++s) {
      b.info.block_tables.push_back(tables[s].blocks());
      for (int32_t k = 0; k < chunk && done[s] < seqs[s].size(); ++k, ++done[s]) {
        b.add(seqs[s][done[s]], static_cast<int32_t>(done[s]), static_cast<int32_t>(s), true);
        owner.push_back(static_cast<int32_t>(s));
      }
    }
    if (b.tokens.empty()) break;
    std::vector<float> logits;
    Status st = model_->forward(b, *cache_, &logits);
    EXPECT_TRUE(st.ok()) << st.to_string();
    for (size_t r = 0; r < owner.size(); ++r) {
      auto& dst = out[static_cast<size_t>(owner[r])];
      dst.insert(dst.end(), logits.begin() + static_cast<int64_t>(r) * n_vocab,
                 logits.begin() + static_cast<int64_t>(r + 1) * n_vocab);
    }
  }
  return out;
}

std::vector<int32_t> ModelHarness::greedy(const std::vector<int32_t>& prompt, int32_t n) {
  BlockTable table(*pool_, cache_->block_size());
  std::vector<int32_t> seq = prompt, out;
  std::vector<float> logits;
  size_t fed = 0;
  for (int32_t step = 0; step < n; ++step) {
    EXPECT_TRUE(table.reserve(static_cast<int64_t>(seq.size())).ok());
    ForwardBatch b;
    b.info.block_size = cache_->block_size();
    b.info.block_tables = {table.blocks()};
    for (; fed < seq.size(); ++fed) {
      b.add(seq[fed], static_cast<int32_t>(fed), 0, fed + 1 == seq.size());
    }
    Status s = model_->forward(b, *cache_, &logits);
    EXPECT_TRUE(s.ok()) << s.to_string();
    const int32_t next = argmax(logits.data(), n_vocab());
    out.push_back(next);
    seq.push_back(next);
  }
  return out;
}

}  // namespace impetus::testing
