// The forward pass against the independent numpy reference (tools/ref_forward.py)
// on tiny random models of every family and weight type.
//
// The reference runs on the same (dequantized) weights. For quantized weight
// types the CPU kernels also round the input of each matrix product to int8
// blocks (as llama.cpp does), so those models are compared with the
// reference doing the same rounding (--act-quant), and loosely against the
// exact-activation reference to bound what that rounding costs.
// Tolerances (max |ours - ref| / max |ref| over all logits): 1e-4 for F32
// weights; 1e-3 for F16/BF16 weights (float32 summation order only); 5e-3 for
// quantized weights against the act-quant reference (summation order, plus an
// activation that sits on a rounding boundary may land one int8 step away
// from the reference's); 5e-2 for quantized
// weights against the exact-activation reference. Greedy ids must be identical
// to the matching reference.
#include <gtest/gtest.h>

#include <random>

#include "testing/model_harness.h"
#include "testing/paths.h"
#include "testing/reference.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

struct Case {
  std::string arch;
  DType type;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.arch + "_" + std::string(dtype_name(info.param.type));
}

class ForwardReferenceTest : public ::testing::TestWithParam<Case> {};

std::vector<int32_t> random_tokens(int n, int32_t n_vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> d(0, n_vocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = d(rng);
  return t;
}

TEST_P(ForwardReferenceTest, LogitsAndGreedyMatchNumpy) {
  const Case& c = GetParam();
  const std::string dir = scratch_dir("forward_ref");
  const std::string path = dir + "/" + c.arch + "_" + std::string(dtype_name(c.type)) + ".gguf";
  TinyModelSpec spec = tiny_spec_for(c.arch, c.type);
  write_tiny_model(spec, path);
  ModelHarness h(path);
  const auto tokens = random_tokens(12, h.n_vocab(), 7);
  const auto ours = h.logits_all(tokens);
  const auto greedy = h.greedy(tokens, 8);
  const bool quantized = dtype_info(c.type).is_quantized;
  auto ref = run_reference(path, tokens, h.n_vocab(), 8, quantized);
  ASSERT_TRUE(ref.ok) << ref.error;
  const double tol = c.type == DType::kF32 ? 1e-4 : quantized ? 5e-3 : 1e-3;
  EXPECT_LT(max_rel_error(ours, ref.logits), tol);
  EXPECT_EQ(greedy, ref.generated);
  if (quantized) {
    auto exact = run_reference(path, tokens, h.n_vocab());
    ASSERT_TRUE(exact.ok) << exact.error;
    EXPECT_LT(max_rel_error(ours, exact.logits), 5e-2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllFamiliesAndTypes, ForwardReferenceTest,
    ::testing::Values(Case{"llama", DType::kF32}, Case{"qwen2", DType::kF32},
                      Case{"qwen3", DType::kF32}, Case{"llama", DType::kF16},
                      Case{"llama", DType::kBF16}, Case{"llama", DType::kQ8_0},
                      Case{"llama", DType::kQ4_0}, Case{"llama", DType::kQ4_1},
                      Case{"llama", DType::kQ5_0}, Case{"llama", DType::kQ5_1},
                      Case{"llama", DType::kQ4_K}, Case{"llama", DType::kQ5_K},
                      Case{"llama", DType::kQ6_K}, Case{"qwen2", DType::kQ8_0},
                      Case{"qwen3", DType::kQ4_K}),
    case_name);

// Model variants: tied output, partial rope, rope frequency factors, linear scaling, MHA.
TEST(ForwardReferenceVariants, TiedPartialRopeFreqFactors) {
  const std::string dir = scratch_dir("forward_variants");
  TinyModelSpec s;
  s.tied_output = true;
  s.n_rot = 8;  // head_dim 16: half the dims rotate
  s.rope_freqs = true;
  const std::string path = dir + "/variant1.gguf";
  write_tiny_model(s, path);
  ModelHarness h(path);
  const auto tokens = random_tokens(10, h.n_vocab(), 3);
  auto ref = run_reference(path, tokens, h.n_vocab());
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_LT(max_rel_error(h.logits_all(tokens), ref.logits), 1e-4);
}

TEST(ForwardReferenceVariants, LinearRopeScalingAndMha) {
  const std::string dir = scratch_dir("forward_variants");
  TinyModelSpec s;
  s.arch = "qwen2";
  s.n_head_kv = s.n_head;
  s.rope_linear_scale = 4.0f;
  s.rope_base = 1000000.0f;
  const std::string path = dir + "/variant2.gguf";
  write_tiny_model(s, path);
  ModelHarness h(path);
  const auto tokens = random_tokens(10, h.n_vocab(), 4);
  auto ref = run_reference(path, tokens, h.n_vocab());
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_LT(max_rel_error(h.logits_all(tokens), ref.logits), 1e-4);
}

}  // namespace
}  // namespace impetus::testing
