// A model split between two backends (partial offload, model.h LayerSplit)
// computes exactly what the same model computes on one backend. CI has no
// GPU, so both halves run on separate CPU backend instances, each wrapped in
// a TrackingBackend that records the memory it handed out (buffers and
// weights) and counts every op that touches memory it does not own: the
// split must keep each layer's weights, activations and KV cache on its own
// backend, and only the last N layers plus the output on the primary.
//
// Scenario: two sequences, both prompts in one forward call (all rows
// output), then greedy decode steps batching one token of each sequence;
// the logits of every call must match the single-backend run to 1e-6 (the
// kernels are the same, so they are in fact bit-identical).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "backend/cpu/cpu_backend.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "testing/model_harness.h"
#include "testing/paths.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

// A CPU backend that knows which memory is its own. It copies the weights
// (instead of using the mapped file in place) so that two instances never
// share a weight's address.
class TrackingBackend final : public Backend {
 public:
  TrackingBackend() : cpu_(CpuBackendOptions{2, std::nullopt, true}) {}

  std::string name() const override { return "tracked-cpu"; }
  bool owns(const void* p) const {
    for (const auto& [begin, end] : ranges_) {
      if (p >= begin && p < end) return true;
    }
    return false;
  }
  int foreign() const { return foreign_; }
  int n_ops() const { return n_ops_; }
  size_t weight_bytes() const { return weight_bytes_; }
  size_t alloc_bytes() const { return alloc_bytes_; }

  StatusOr<std::unique_ptr<Buffer>> alloc(size_t bytes) override {
    IMP_ASSIGN_OR_RETURN(auto buf, cpu_.alloc(bytes));
    add_range(buf->data(), bytes);
    alloc_bytes_ += bytes;
    return buf;
  }
  StatusOr<Tensor> upload_weight(const TensorView& host) override {
    IMP_ASSIGN_OR_RETURN(Tensor t, cpu_.upload_weight(host));
    add_range(t.data, t.n_bytes());
    weight_bytes_ += t.n_bytes();
    return t;
  }
  void write(Tensor& dst, const void* src, size_t bytes) override {
    use({&dst});
    cpu_.write(dst, src, bytes);
  }
  void read(const Tensor& src, void* dst, size_t bytes) override {
    use({&src});
    cpu_.read(src, dst, bytes);
  }
  void synchronize() override {}

  void get_rows(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) override {
    use({&table, &out});
    cpu_.get_rows(table, ids, n, out);
  }
  void matmul(const Tensor& w, const Tensor& x, Tensor& y) override {
    use({&w, &x, &y});
    cpu_.matmul(w, x, y);
  }
  void matmul_n(const Tensor* ws, int n, const Tensor& x, Tensor* ys) override {
    for (int i = 0; i < n; ++i) use({&ws[i], &ys[i]});
    use({&x});
    cpu_.matmul_n(ws, n, x, ys);
  }
  void add_bias(Tensor& y, const Tensor& bias) override {
    use({&y, &bias});
    cpu_.add_bias(y, bias);
  }
  void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) override {
    use({&x, &w, &y});
    cpu_.rms_norm(x, w, eps, y);
  }
  void rope(Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
            const RopeParams& p) override {
    use({&x});
    if (p.freq_factors != nullptr && !owns(p.freq_factors)) ++foreign_;
    cpu_.rope(x, n_heads, head_dim, positions, p);
  }
  void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) override {
    use({&gate, &up, &out});
    cpu_.swiglu(gate, up, out);
  }
  void add(const Tensor& a, const Tensor& b, Tensor& out) override {
    use({&a, &b, &out});
    cpu_.add(a, b, out);
  }
  void kv_store(const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
                const BatchInfo& batch) override {
    use({&k, &v, &k_cache, &v_cache});
    cpu_.kv_store(k, v, k_cache, v_cache, batch);
  }
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                 const BatchInfo& batch, const AttentionParams& p, Tensor& out) override {
    use({&q, &k_cache, &v_cache, &out});
    cpu_.attention(q, k_cache, v_cache, batch, p, out);
  }

 private:
  void add_range(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    ranges_.emplace_back(b, b + n);
  }
  void use(std::initializer_list<const Tensor*> ts) {
    ++n_ops_;
    for (const Tensor* t : ts) {
      if (!owns(t->data)) ++foreign_;
    }
  }

  CpuBackend cpu_;
  std::vector<std::pair<const uint8_t*, const uint8_t*>> ranges_;
  int foreign_ = 0, n_ops_ = 0;
  size_t weight_bytes_ = 0, alloc_bytes_ = 0;
};

std::unique_ptr<Model> load(const std::string& path, Backend& primary, LayerSplit split = {}) {
  auto m = Model::load(path, primary, split);
  EXPECT_TRUE(m.ok()) << m.status().to_string();
  return m.ok() ? std::move(*m) : nullptr;
}

// Logits of every forward call: both prompts at once, then `n_decode` greedy
// steps of one token per sequence.
std::vector<std::vector<float>> run_scenario(Model& model, KvCache& cache, int n_decode) {
  const int32_t n_vocab = model.config().n_vocab, bs = cache.block_size();
  BlockPool pool(cache.n_blocks());
  std::vector<std::vector<int32_t>> seqs = {{1, 17, 42, 99, 7, 3, 250}, {5, 8, 13, 21, 34}};
  std::vector<BlockTable> tables;
  for (size_t s = 0; s < seqs.size(); ++s) tables.emplace_back(pool, bs);
  std::vector<size_t> fed(seqs.size(), 0);
  std::vector<std::vector<float>> calls;
  for (int step = 0; step <= n_decode; ++step) {
    ForwardBatch b;
    b.info.block_size = bs;
    std::vector<size_t> last_row(seqs.size());
    for (size_t s = 0; s < seqs.size(); ++s) {
      EXPECT_TRUE(tables[s].reserve(static_cast<int64_t>(seqs[s].size())).ok());
      b.info.block_tables.push_back(tables[s].blocks());
      for (; fed[s] < seqs[s].size(); ++fed[s]) {
        b.add(seqs[s][fed[s]], static_cast<int32_t>(fed[s]), static_cast<int32_t>(s), true);
      }
      last_row[s] = b.tokens.size() - 1;
    }
    std::vector<float> logits;
    Status st = model.forward(b, cache, &logits);
    EXPECT_TRUE(st.ok()) << st.to_string();
    if (!st.ok()) break;
    for (size_t s = 0; s < seqs.size(); ++s) {
      seqs[s].push_back(
          argmax(logits.data() + last_row[s] * static_cast<size_t>(n_vocab), n_vocab));
    }
    calls.push_back(std::move(logits));
  }
  return calls;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i)
    d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

// Bytes of the tensors that belong on the host for a split at first_primary:
// the embedding and the first layers (the tied output matrix goes to the primary).
size_t expected_host_bytes(const GgufFile& gguf, int first_primary) {
  size_t n = 0;
  for (const auto& t : gguf.tensors()) {
    int il = -1;
    if (t.name == "token_embd.weight" || t.name == "rope_freqs.weight") {
      n += t.n_bytes;
    } else if (std::sscanf(t.name.c_str(), "blk.%d.", &il) == 1 && il < first_primary) {
      n += t.n_bytes;
    }
  }
  return n;
}

struct SplitCase {
  std::string name;
  TinyModelSpec spec;
};

class SplitForward : public ::testing::TestWithParam<SplitCase> {};

TEST_P(SplitForward, SameLogitsAsOneBackend) {
  const SplitCase& sc = GetParam();
  const std::string path = scratch_dir("split_forward") + "/" + sc.name + ".gguf";
  write_tiny_model(sc.spec, path);
  const int n_layer = sc.spec.n_layer;
  constexpr int kDecode = 4;

  CpuBackend one(CpuBackendOptions{2});
  auto ref_model = load(path, one);
  ASSERT_NE(ref_model, nullptr);
  EXPECT_FALSE(ref_model->split());
  auto ref_cache = KvCache::create(*ref_model, 16, 4, DType::kF32);
  ASSERT_TRUE(ref_cache.ok());
  const auto ref = run_scenario(*ref_model, **ref_cache, kDecode);
  ASSERT_EQ(ref.size(), static_cast<size_t>(kDecode + 1));

  for (int n_primary : {1, n_layer / 2, n_layer - 1}) {
    SCOPED_TRACE("layers on the primary: " + std::to_string(n_primary));
    TrackingBackend primary, host;
    auto model = load(path, primary, LayerSplit{&host, n_primary});
    ASSERT_NE(model, nullptr);
    const int first = n_layer - n_primary;
    ASSERT_TRUE(model->split());
    EXPECT_EQ(model->first_primary_layer(), first);
    EXPECT_EQ(model->host_backend(), &host);
    EXPECT_EQ(&model->backend(), &primary);

    // Weights: each half where it belongs, totals consistent.
    const size_t host_bytes = expected_host_bytes(model->gguf(), first);
    EXPECT_EQ(host.weight_bytes(), host_bytes);
    EXPECT_EQ(model->host_weight_bytes(), host_bytes);
    EXPECT_EQ(model->primary_weight_bytes(), primary.weight_bytes());
    EXPECT_EQ(model->weight_bytes(), host.weight_bytes() + primary.weight_bytes());

    auto cache = KvCache::create(*model, 16, 4, DType::kF32);
    ASSERT_TRUE(cache.ok());
    for (int il = 0; il < n_layer; ++il) {
      TrackingBackend& want = il < first ? host : primary;
      EXPECT_EQ(&(*cache)->layer_backend(il), &want) << "layer " << il;
      EXPECT_TRUE(want.owns((*cache)->k(il).data)) << "K of layer " << il;
      EXPECT_TRUE(want.owns((*cache)->v(il).data)) << "V of layer " << il;
    }
    EXPECT_EQ((*cache)->n_bytes_on(host) + (*cache)->n_bytes_on(primary), (*cache)->n_bytes());
    EXPECT_EQ((*cache)->n_bytes_on(host) * static_cast<size_t>(n_primary),
              (*cache)->n_bytes_on(primary) * static_cast<size_t>(first));

    const auto got = run_scenario(*model, **cache, kDecode);
    ASSERT_EQ(got.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_LE(max_abs_diff(got[i], ref[i]), 1e-6) << "forward call " << i;
    }
    EXPECT_GT(host.n_ops(), 0);
    EXPECT_GT(primary.n_ops(), 0);
    EXPECT_EQ(host.foreign(), 0) << "host ops touched memory of another backend";
    EXPECT_EQ(primary.foreign(), 0) << "primary ops touched memory of another backend";
  }
}

TinyModelSpec spec(const std::string& arch, DType type, bool tied, bool rope_freqs) {
  TinyModelSpec s = tiny_spec_for(arch, type);
  s.n_layer = 4;
  s.tied_output = tied;
  s.rope_freqs = rope_freqs;
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Models, SplitForward,
    ::testing::Values(SplitCase{"llama_f32_tied_freqs", spec("llama", DType::kF32, true, true)},
                      SplitCase{"llama_q8_0", spec("llama", DType::kQ8_0, false, false)},
                      SplitCase{"qwen2_f32", spec("qwen2", DType::kF32, false, false)},
                      SplitCase{"qwen3_q8_0_tied", spec("qwen3", DType::kQ8_0, true, false)}),
    [](const auto& info) { return info.param.name; });

TEST(SplitModel, NoSplitWhenAllLayersOnThePrimary) {
  const std::string path = scratch_dir("split_forward") + "/nosplit.gguf";
  TinyModelSpec s = spec("llama", DType::kF32, false, false);
  write_tiny_model(s, path);
  for (int n : {-1, s.n_layer, s.n_layer + 5}) {
    TrackingBackend primary, host;
    auto model = load(path, primary, LayerSplit{&host, n});
    ASSERT_NE(model, nullptr);
    EXPECT_FALSE(model->split()) << n;
    EXPECT_EQ(model->host_backend(), nullptr);
    EXPECT_EQ(host.weight_bytes(), 0u) << n;
    EXPECT_EQ(model->host_weight_bytes(), 0u);
    EXPECT_EQ(model->weight_bytes(), primary.weight_bytes());
    EXPECT_EQ(&model->layer_backend(0), &primary);
  }
  TrackingBackend primary, host;
  auto zero = Model::load(path, primary, LayerSplit{&host, 0});
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
}

TEST(SplitModel, CacheOnTheWrongBackendIsAnError) {
  const std::string path = scratch_dir("split_forward") + "/wrong_cache.gguf";
  write_tiny_model(spec("llama", DType::kF32, false, false), path);
  TrackingBackend primary, host;
  auto model = load(path, primary, LayerSplit{&host, 2});
  ASSERT_NE(model, nullptr);
  auto cache = KvCache::create(primary, model->config(), 4, 16, DType::kF32);  // all on the primary
  ASSERT_TRUE(cache.ok());
  ForwardBatch b;
  b.info.block_size = 16;
  b.info.block_tables = {{0}};
  b.add(1, 0, 0, true);
  std::vector<float> logits;
  EXPECT_EQ(model->forward(b, **cache, &logits).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host.n_ops(), 0);  // rejected before anything ran
}

}  // namespace
}  // namespace impetus::testing
