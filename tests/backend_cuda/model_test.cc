// End-to-end tiny models on CUDA against the CPU backend with its scalar
// reference kernels (the SIMD levels are checked against those elsewhere):
//   - greedy continuations of 32 tokens after a 5-token prompt: the same ids
//     for F32 and Q8_0 models of every family (decode runs the
//     matrix-vector kernels, with the CPU's activation rounding);
//   - logits of 40 positions fed one by one (decode): within 1e-4 relative
//     for F32 weights, 1e-2 for quantized ones: the GPU sums in other orders
//     (RMSNorm, attention), and a last-bit difference now and then moves an
//     activation to the next int8 step, which these tiny random models
//     amplify (the CPU's own SIMD levels differ from its scalar kernels by up
//     to 1.3% on the Q4_K model for the same reason); the matrix products
//     themselves are checked to 2e-5 in matmul_test.cc;
//   - logits of the same 40 tokens in one forward call (cuBLAS prefill:
//     F16 activations instead of the CPU's int8 blocks for quantized
//     weights): within 1e-4 for F32, 3e-2 otherwise;
//   - graphs and fusion change nothing: the logits are bit-identical with
//     both on and both off, and a decode loop replays CUDA graphs;
//   - partial offload (first layers on the CPU, the rest on the GPU) gives
//     the CPU's greedy ids too.
// The "wide" models (256-wide layers) take the tile kernels, with RMSNorm
// and quantization fused into the products; the narrow ones the others.
#include <gtest/gtest.h>

#include <random>

#include "core/argmax.h"
#include "cuda_test_util.h"
#include "engine/block_pool.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "testing/model_harness.h"
#include "testing/paths.h"
#include "testing/reference.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

struct Runner {
  std::unique_ptr<Backend> be;
  std::unique_ptr<Backend> host;  // the first layers' backend of a split model, or null
  std::unique_ptr<Model> model;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<BlockPool> pool;

  // With `host_backend`, the last n_primary_layers layers run on `backend`
  // and the others on the host (partial offload, --gpu-layers).
  Runner(std::unique_ptr<Backend> backend, const std::string& path, DType kv_type = DType::kF32,
         std::unique_ptr<Backend> host_backend = nullptr, int32_t n_primary_layers = -1)
      : be(std::move(backend)), host(std::move(host_backend)) {
    auto m = Model::load(path, *be, LayerSplit{host.get(), n_primary_layers});
    EXPECT_TRUE(m.ok()) << m.status().to_string();
    model = std::move(*m);
    auto c = KvCache::create(*model, 64, 16, kv_type);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    cache = std::move(*c);
    pool = std::make_unique<BlockPool>(64);
  }
  int32_t n_vocab() const { return model->config().n_vocab; }

  // Logits of every position: all tokens in one call, or one call per token.
  std::vector<float> logits(const std::vector<int32_t>& tokens, bool one_by_one) {
    BlockTable table(*pool, cache->block_size());
    EXPECT_TRUE(table.reserve(static_cast<int64_t>(tokens.size())).ok());
    std::vector<float> all, out;
    for (size_t i = 0; i < tokens.size();) {
      ForwardBatch b;
      b.info.block_size = cache->block_size();
      b.info.block_tables = {table.blocks()};
      const size_t end = one_by_one ? i + 1 : tokens.size();
      for (; i < end; ++i) b.add(tokens[i], static_cast<int32_t>(i), 0, true);
      Status s = model->forward(b, *cache, &out);
      EXPECT_TRUE(s.ok()) << s.to_string();
      all.insert(all.end(), out.begin(), out.end());
    }
    return all;
  }

  std::vector<int32_t> greedy(const std::vector<int32_t>& prompt, int32_t n) {
    BlockTable table(*pool, cache->block_size());
    std::vector<int32_t> seq = prompt, gen;
    std::vector<float> out;
    size_t fed = 0;
    for (int32_t step = 0; step < n; ++step) {
      EXPECT_TRUE(table.reserve(static_cast<int64_t>(seq.size())).ok());
      ForwardBatch b;
      b.info.block_size = cache->block_size();
      b.info.block_tables = {table.blocks()};
      for (; fed < seq.size(); ++fed) b.add(seq[fed], static_cast<int32_t>(fed), 0, fed + 1 == seq.size());
      Status s = model->forward(b, *cache, &out);
      EXPECT_TRUE(s.ok()) << s.to_string();
      gen.push_back(argmax(out.data(), n_vocab()));
      seq.push_back(gen.back());
    }
    return gen;
  }
};

std::vector<int32_t> random_tokens(size_t n, int32_t n_vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng() % static_cast<uint64_t>(n_vocab));
  return t;
}

struct ModelCase {
  std::string arch;
  DType type;
  bool wide = false;  // 256-wide layers: the tile kernels and their fused prologues
};

TinyModelSpec spec_of(const ModelCase& mc) {
  TinyModelSpec spec = tiny_spec_for(mc.arch, mc.type);
  if (mc.wide) {
    spec.n_embd = 256;
    spec.n_ff = 512;
  }
  return spec;
}

std::string name_of(const ModelCase& mc) {
  return mc.arch + "_" + std::string(dtype_name(mc.type)) + (mc.wide ? "_wide" : "");
}

class CudaModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(CudaModel, MatchesCpu) {
  IMP_REQUIRE_CUDA();
  const ModelCase mc = GetParam();
  TinyModelSpec spec = spec_of(mc);
  if (mc.arch == "llama") spec.rope_freqs = true;  // factors read from device memory
  const std::string path = scratch_dir("cuda_model") + "/" + name_of(mc) + ".gguf";
  write_tiny_model(spec, path);
  Runner cpu(make_cpu_scalar(), path);
  Runner gpu(make_cuda(), path);
  const bool quantized = mc.type != DType::kF32;

  const std::vector<int32_t> prompt = {1, 17, 42, 99, 7};
  const auto ids_cpu = cpu.greedy(prompt, 32), ids_gpu = gpu.greedy(prompt, 32);
  if (mc.type == DType::kF32 || mc.type == DType::kQ8_0) {
    EXPECT_EQ(ids_gpu, ids_cpu);
  }

  const auto tokens = random_tokens(40, cpu.n_vocab(), 3);
  const double decode_tol = quantized ? 1e-2 : 1e-4, prefill_tol = quantized ? 3e-2 : 1e-4;
  const auto decode_cpu = cpu.logits(tokens, true), decode_gpu = gpu.logits(tokens, true);
  EXPECT_LT(max_rel_error(decode_gpu, decode_cpu), decode_tol);
  const auto prefill_gpu = gpu.logits(tokens, false);
  EXPECT_LT(max_rel_error(prefill_gpu, decode_cpu), prefill_tol);
}

INSTANTIATE_TEST_SUITE_P(
    Families, CudaModel,
    ::testing::Values(ModelCase{"llama", DType::kF32}, ModelCase{"llama", DType::kQ8_0},
                      ModelCase{"qwen2", DType::kF32}, ModelCase{"qwen2", DType::kQ8_0},
                      ModelCase{"qwen3", DType::kF32}, ModelCase{"qwen3", DType::kQ8_0},
                      ModelCase{"llama", DType::kQ4_0}, ModelCase{"llama", DType::kF16},
                      ModelCase{"llama", DType::kQ4_K}, ModelCase{"llama", DType::kQ6_K},
                      ModelCase{"llama", DType::kQ8_0, true}, ModelCase{"llama", DType::kQ4_0, true},
                      ModelCase{"qwen2", DType::kQ8_0, true}),
    [](const auto& info) { return name_of(info.param); });

// Partial offload (--gpu-layers N): the last N layers and the output on the
// GPU, the embedding and the first layers on the CPU (scalar kernels, like
// the reference), handing the activations over once per forward call. The
// same greedy ids as the CPU alone, for every split point of a 4-layer model,
// and decode logits within the tolerances of the whole-GPU test.
TEST(CudaModelSplit, PartialOffloadMatchesCpu) {
  IMP_REQUIRE_CUDA();
  for (const ModelCase& mc : {ModelCase{"llama", DType::kF32}, ModelCase{"llama", DType::kQ8_0},
                              ModelCase{"qwen2", DType::kQ8_0}}) {
    TinyModelSpec spec = spec_of(mc);
    spec.n_layer = 4;
    spec.tied_output = mc.type == DType::kQ8_0;  // the output matrix loaded on both devices
    if (mc.arch == "llama") spec.rope_freqs = true;  // factors on both devices
    const std::string path = scratch_dir("cuda_model") + "/split_" + name_of(mc) + ".gguf";
    write_tiny_model(spec, path);
    Runner cpu(make_cpu_scalar(), path);
    const std::vector<int32_t> prompt = {1, 17, 42, 99, 7};
    const auto ids_cpu = cpu.greedy(prompt, 32);
    const auto tokens = random_tokens(24, cpu.n_vocab(), 5);
    const auto decode_cpu = cpu.logits(tokens, true);
    for (int32_t n_gpu : {1, 2, 3}) {
      SCOPED_TRACE(name_of(mc) + ", layers on the GPU: " + std::to_string(n_gpu));
      Runner split(make_cuda(), path, DType::kF32, make_cpu_scalar(), n_gpu);
      ASSERT_TRUE(split.model->split());
      EXPECT_EQ(split.model->first_primary_layer(), spec.n_layer - n_gpu);
      EXPECT_EQ(split.greedy(prompt, 32), ids_cpu);
      const double tol = mc.type == DType::kF32 ? 1e-4 : 1e-2;
      EXPECT_LT(max_rel_error(split.logits(tokens, true), decode_cpu), tol);
      const double prefill_tol = mc.type == DType::kF32 ? 1e-4 : 3e-2;
      EXPECT_LT(max_rel_error(split.logits(tokens, false), decode_cpu), prefill_tol);
    }
  }
}

// Greedy steps through forward_greedy (the argmax on the device, only ids
// copied back) pick the argmax of the logits forward() returns.
TEST(CudaModelGraphs, ForwardGreedyIsTheArgmaxOfTheLogits) {
  IMP_REQUIRE_CUDA();
  const std::string path = scratch_dir("cuda_model") + "/greedy_q8.gguf";
  write_tiny_model(tiny_spec_for("llama", DType::kQ8_0), path);
  Runner r(make_cuda(), path, DType::kF16);
  BlockTable table(*r.pool, r.cache->block_size());
  ASSERT_TRUE(table.reserve(24).ok());
  const auto tokens = random_tokens(24, r.n_vocab(), 21);
  std::vector<float> logits;
  std::vector<int32_t> ids;
  for (size_t i = 0; i < tokens.size(); i += 6) {  // 6 tokens a step, every row an output
    ForwardBatch b;
    b.info.block_size = r.cache->block_size();
    b.info.block_tables = {table.blocks()};
    for (size_t k = i; k < i + 6; ++k) b.add(tokens[k], static_cast<int32_t>(k), 0, true);
    ASSERT_TRUE(r.model->forward(b, *r.cache, &logits).ok());
    ASSERT_TRUE(r.model->forward_greedy(b, *r.cache, &ids).ok());
    ASSERT_EQ(ids.size(), 6u);
    for (size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(ids[k], argmax_row(logits.data() + k * static_cast<size_t>(r.n_vocab()), r.n_vocab())) << i + k;
    }
  }
}

TEST(CudaModelGraphs, GraphsAndFusionChangeNothing) {
  IMP_REQUIRE_CUDA();
  for (const ModelCase& mc : {ModelCase{"llama", DType::kQ8_0}, ModelCase{"llama", DType::kF32},
                              ModelCase{"llama", DType::kQ4_0, true}, ModelCase{"llama", DType::kQ4_K}}) {
    const DType type = mc.type;
    const std::string path = scratch_dir("cuda_model") + "/graphs_" + name_of(mc) + ".gguf";
    write_tiny_model(spec_of(mc), path);
    auto fast = make_cuda(true, true), plain = make_cuda(false, false);
    CudaBackend* fast_raw = fast.get();
    Runner a(std::move(fast), path, DType::kF16), b(std::move(plain), path, DType::kF16);
    const auto tokens = random_tokens(24, a.n_vocab(), 9);
    for (bool one_by_one : {true, false}) {
      EXPECT_EQ(a.logits(tokens, one_by_one), b.logits(tokens, one_by_one)) << name_of(mc);
    }
    const CudaBackendStats s = fast_raw->stats();
    EXPECT_GT(s.graph_replays, 10u) << name_of(mc);
    EXPECT_GT(s.fused_ops, 0u) << name_of(mc);
    (void)type;
  }
}

}  // namespace
}  // namespace impetus::testing
