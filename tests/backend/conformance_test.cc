// Backend conformance: every op of every backend (each CPU ISA level, CUDA
// when present) against the double-precision reference ops in
// tests/testing/reference_ops.h, for every weight dtype.
//
// Tolerances are max |backend - ref| / max |ref| over the output:
//   matmul/get_rows: tolerance_for(dtype) (weights are compared against their
//   own dequantized values, so only arithmetic error remains);
//   elementwise ops, norms, rope: 1e-5; attention: 1e-5 (F32 cache), 2e-3 (F16 cache).
#include <gtest/gtest.h>

#include <random>

#include "tensor/quant/quant.h"
#include "testing/backends.h"
#include "testing/reference.h"
#include "testing/reference_ops.h"

namespace impetus::testing {
namespace {

std::vector<float> random_vec(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Quantized weights meet activations rounded to int8 blocks (see
// backend/cpu/kernels.h), so the reference rounds them the same way.
std::vector<float> activations_for(DType t, const std::vector<float>& x) {
  return dtype_info(t).is_quantized ? ref::fake_quant_q8(x) : x;
}

double tolerance_for(DType t) {
  (void)t;
  return 2e-5;
}

class Conformance : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override { be_ = GetParam().make(); }
  std::unique_ptr<Backend> be_;
};

TEST_P(Conformance, MatmulAndGetRowsEveryDtype) {
  for (DType type : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                     DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K,
                     DType::kQ6_K}) {
    const int64_t n_in = 512, n_out = 72;
    const auto w = random_vec(static_cast<size_t>(n_in * n_out), 1);
    std::vector<uint8_t> q(static_cast<size_t>(dtype_row_bytes(type, n_in) * n_out));
    std::vector<float> wd(w.size());
    for (int64_t r = 0; r < n_out; ++r) {
      quantize_row(type, w.data() + r * n_in, q.data() + r * dtype_row_bytes(type, n_in), n_in);
      dequantize_row(type, q.data() + r * dtype_row_bytes(type, n_in), wd.data() + r * n_in, n_in);
    }
    auto wt = upload(*be_, type, {n_in, n_out, 1, 1}, q.data());
    for (int64_t n_tok : {1, 3, 17, 64}) {
      const auto x = random_vec(static_cast<size_t>(n_in * n_tok), 2 + n_tok);
      auto xt = upload_f32(*be_, x, n_in);
      auto yt = upload(*be_, DType::kF32, {n_out, n_tok, 1, 1}, nullptr);
      be_->matmul(wt.t, xt.t, yt.t);
      EXPECT_LT(max_rel_error(download_f32(*be_, yt.t), ref::matmul(wd, n_in, n_out, activations_for(type, x), n_tok)),
                tolerance_for(type))
          << dtype_name(type) << " n_tok=" << n_tok;
    }
    const std::vector<int32_t> ids = {5, 0, 71, 5};
    auto rows = upload(*be_, DType::kF32, {n_in, 4, 1, 1}, nullptr);
    be_->get_rows(wt.t, ids.data(), 4, rows.t);
    const auto got = download_f32(*be_, rows.t);
    for (size_t i = 0; i < ids.size(); ++i) {
      for (int64_t c = 0; c < n_in; ++c) {
        ASSERT_EQ(got[i * n_in + c], wd[ids[i] * n_in + c]) << dtype_name(type);
      }
    }
  }
}

TEST_P(Conformance, NormsAndElementwise) {
  const int64_t n = 96, rows = 5;
  const auto x = random_vec(n * rows, 3, 2.0f), w = random_vec(n, 4), b = random_vec(n * rows, 5);
  auto xt = upload_f32(*be_, x, n), wt = upload_f32(*be_, w, n), bt = upload_f32(*be_, b, n);
  auto yt = upload(*be_, DType::kF32, {n, rows, 1, 1}, nullptr);
  be_->rms_norm(xt.t, wt.t, 1e-5f, yt.t);
  EXPECT_LT(max_rel_error(download_f32(*be_, yt.t), ref::rms_norm(x, n, w, 1e-5f)), 1e-5);
  be_->swiglu(xt.t, bt.t, yt.t);
  EXPECT_LT(max_rel_error(download_f32(*be_, yt.t), ref::swiglu(x, b)), 1e-5);
  be_->add(xt.t, bt.t, yt.t);
  std::vector<float> sum(x.size());
  for (size_t i = 0; i < x.size(); ++i) sum[i] = x[i] + b[i];
  EXPECT_EQ(download_f32(*be_, yt.t), sum);
  be_->add_bias(xt.t, wt.t);
  for (size_t i = 0; i < x.size(); ++i) sum[i] = x[i] + w[i % n];
  EXPECT_EQ(download_f32(*be_, xt.t), sum);
}

TEST_P(Conformance, RopeModes) {
  const int32_t n_heads = 3, head_dim = 16;
  const std::vector<int32_t> pos = {0, 1, 7, 300, 4095};
  const std::vector<float> factors = {1, 2, 4, 8};
  for (RopeMode mode : {RopeMode::kNormal, RopeMode::kNeox}) {
    for (int32_t n_rot : {16, 8}) {
      RopeParams p{mode, n_rot, 10000.0f, 0.5f, n_rot == 8 ? factors.data() : nullptr};
      const auto x = random_vec(static_cast<size_t>(n_heads * head_dim) * pos.size(), 6);
      auto xt = upload_f32(*be_, x, n_heads * head_dim);
      be_->rope(xt.t, n_heads, head_dim, pos.data(), p);
      EXPECT_LT(max_rel_error(download_f32(*be_, xt.t), ref::rope(x, n_heads, head_dim, pos, p)),
                1e-5)
          << "mode " << static_cast<int>(mode) << " n_rot " << n_rot;
    }
  }
}

TEST_P(Conformance, PagedAttentionSeveralSequences) {
  for (DType cache_type : {DType::kF32, DType::kF16}) {
    AttentionParams p{8, 2, 16, 0.25f};
    const int64_t kvd = p.n_head_kv * p.head_dim, qd = p.n_head * p.head_dim;
    BatchInfo info;
    info.block_size = 4;
    info.block_tables = {{7, 2, 9, 0, 5}, {1, 3}, {8, 4, 6}};  // scattered blocks
    const std::vector<int32_t> lens = {19, 6, 12};
    // Every position of every sequence goes through kv_store in one batch.
    std::vector<std::vector<float>> k_seq, v_seq;
    for (size_t s = 0; s < lens.size(); ++s) {
      k_seq.push_back(random_vec(static_cast<size_t>(lens[s] * kvd), 10 + s));
      v_seq.push_back(random_vec(static_cast<size_t>(lens[s] * kvd), 20 + s));
      for (int32_t j = 0; j < lens[s]; ++j) {
        info.positions.push_back(j);
        info.seq_of_token.push_back(static_cast<int32_t>(s));
      }
    }
    std::vector<float> k_all, v_all;
    for (size_t s = 0; s < lens.size(); ++s) {
      k_all.insert(k_all.end(), k_seq[s].begin(), k_seq[s].end());
      v_all.insert(v_all.end(), v_seq[s].begin(), v_seq[s].end());
    }
    auto kc = upload(*be_, cache_type, {kvd, 10 * info.block_size, 1, 1}, nullptr);
    auto vc = upload(*be_, cache_type, {kvd, 10 * info.block_size, 1, 1}, nullptr);
    auto kt = upload_f32(*be_, k_all, kvd), vt = upload_f32(*be_, v_all, kvd);
    be_->kv_store(kt.t, vt.t, kc.t, vc.t, info);
    const auto q = random_vec(info.positions.size() * static_cast<size_t>(qd), 30);
    auto qt = upload_f32(*be_, q, qd);
    auto out = upload(*be_, DType::kF32, {qd, info.n_tokens(), 1, 1}, nullptr);
    be_->attention(qt.t, kc.t, vc.t, info, p, out.t);
    const auto want = ref::attention(q, info.positions, info.seq_of_token, k_seq, v_seq, p);
    EXPECT_LT(max_rel_error(download_f32(*be_, out.t), want),
              cache_type == DType::kF32 ? 1e-5 : 2e-3)
        << dtype_name(cache_type);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::ValuesIn(all_test_backends()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace impetus::testing
