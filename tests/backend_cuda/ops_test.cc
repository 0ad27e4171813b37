// CUDA elementwise ops, RoPE, the KV store and paged attention against the
// CPU scalar backend (and the double-precision reference for attention).
// Tolerances (max |a - b| / max |b|): add and bias exact; RMSNorm, SwiGLU and
// RoPE 1e-6 (same float operations; RMSNorm sums in another order, SwiGLU's
// expf may differ in the last bit); attention 1e-5 against the CPU for
// both cache types, 2e-3 against the reference with an F16 cache.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/argmax.h"
#include "cuda_test_util.h"
#include "tensor/quant/quant.h"
#include "testing/backends.h"
#include "testing/reference.h"
#include "testing/reference_ops.h"

namespace impetus::testing {
namespace {

class CudaOps : public ::testing::Test {
 protected:
  void SetUp() override {
    IMP_REQUIRE_CUDA();
    gpu_ = make_cuda();
    cpu_ = make_cpu_scalar();
    ASSERT_NE(gpu_, nullptr);
  }
  std::unique_ptr<CudaBackend> gpu_;
  std::unique_ptr<CpuBackend> cpu_;
};

TEST_F(CudaOps, NormsAndElementwise) {
  for (int64_t n : {96, 4096}) {
    const int64_t rows = 5;
    const auto x = random_floats(static_cast<size_t>(n * rows), 3, 2.0f), w = random_floats(n, 4);
    const auto b = random_floats(static_cast<size_t>(n * rows), 5);
    std::vector<float> got[4], want[4];
    for (int k = 0; k < 2; ++k) {
      Backend& be = k == 0 ? static_cast<Backend&>(*gpu_) : *cpu_;
      auto& out = k == 0 ? got : want;
      auto xt = upload_f32(be, x, n), wt = upload_f32(be, w, n), bt = upload_f32(be, b, n);
      auto yt = upload(be, DType::kF32, {n, rows, 1, 1}, nullptr);
      be.rms_norm(xt.t, wt.t, 1e-5f, yt.t);
      out[0] = download_f32(be, yt.t);
      be.swiglu(xt.t, bt.t, yt.t);
      out[1] = download_f32(be, yt.t);
      be.add(xt.t, bt.t, yt.t);
      be.add_bias(yt.t, wt.t);
      out[2] = download_f32(be, yt.t);
      be.rms_norm(xt.t, wt.t, 1e-6f, xt.t);  // in place
      out[3] = download_f32(be, xt.t);
    }
    EXPECT_LT(max_rel_error(got[0], want[0]), 1e-6) << "rms_norm n=" << n;
    EXPECT_LT(max_rel_error(got[1], want[1]), 1e-6) << "swiglu n=" << n;
    EXPECT_EQ(got[2], want[2]) << "add + add_bias n=" << n;
    EXPECT_LT(max_rel_error(got[3], want[3]), 1e-6) << "rms_norm in place n=" << n;
  }
}

TEST_F(CudaOps, RopeModesAndFactors) {
  const int32_t n_heads = 3, head_dim = 16;
  const std::vector<int32_t> pos = {0, 1, 7, 300, 4095};
  const std::vector<float> factors = {1, 2, 4, 8};
  auto dev_factors = upload_f32(*gpu_, factors, 4);
  for (RopeMode mode : {RopeMode::kNormal, RopeMode::kNeox}) {
    for (int32_t n_rot : {16, 8}) {
      for (bool on_device : {false, true}) {
        const float* f = n_rot == 8 ? (on_device ? dev_factors.t.f32() : factors.data()) : nullptr;
        RopeParams p{mode, n_rot, 10000.0f, 0.5f, f};
        RopeParams p_cpu = p;
        if (n_rot == 8) p_cpu.freq_factors = factors.data();
        const auto x = random_floats(static_cast<size_t>(n_heads * head_dim) * pos.size(), 6);
        auto xg = upload_f32(*gpu_, x, n_heads * head_dim);
        gpu_->rope(xg.t, n_heads, head_dim, pos.data(), p);
        auto xc = upload_f32(*cpu_, x, n_heads * head_dim);
        cpu_->rope(xc.t, n_heads, head_dim, pos.data(), p_cpu);
        EXPECT_LT(max_rel_error(download_f32(*gpu_, xg.t), download_f32(*cpu_, xc.t)), 1e-6)
            << "mode " << static_cast<int>(mode) << " n_rot " << n_rot << " device factors " << on_device;
      }
    }
  }
}

// RMSNorm followed by a Q8_0 / Q4_0 product of 1 and 3 tokens: the CUDA
// backend fuses the activations' Q8 quantization into the norm (rows of
// 1024 floats and more take the register kernel, 1-4 pieces per thread).
// Same Q8 blocks as the CPU: 2e-5 like the products of matmul_test.cc.
TEST_F(CudaOps, NormThenQuantizedProduct) {
  for (DType type : {DType::kQ8_0, DType::kQ4_0}) {
    for (int64_t n : {int64_t{1024}, int64_t{4096}, int64_t{5120}, int64_t{16384}}) {
      for (int64_t n_tok : {int64_t{1}, int64_t{3}}) {
        const int64_t n_out = 64;
        const auto wf = random_floats(static_cast<size_t>(n * n_out), 40 + n);
        std::vector<uint8_t> wq(static_cast<size_t>(dtype_row_bytes(type, n) * n_out));
        for (int64_t r = 0; r < n_out; ++r) {
          quantize_row(type, wf.data() + r * n, wq.data() + r * dtype_row_bytes(type, n), n);
        }
        const auto x = random_floats(static_cast<size_t>(n * n_tok), 41, 3.0f), g = random_floats(n, 42);
        std::vector<float> out[2];
        for (int k = 0; k < 2; ++k) {
          Backend& be = k == 0 ? static_cast<Backend&>(*gpu_) : *cpu_;
          auto xt = upload_f32(be, x, n), gt = upload_f32(be, g, n);
          auto wt = upload(be, type, {n, n_out, 1, 1}, wq.data());
          auto yt = upload(be, DType::kF32, {n, n_tok, 1, 1}, nullptr);
          auto zt = upload(be, DType::kF32, {n_out, n_tok, 1, 1}, nullptr);
          be.rms_norm(xt.t, gt.t, 1e-5f, yt.t);
          be.matmul(wt.t, yt.t, zt.t);
          out[k] = download_f32(be, zt.t);
        }
        EXPECT_LT(max_rel_error(out[0], out[1]), 2e-5) << dtype_name(type) << " n=" << n << " tokens " << n_tok;
      }
    }
  }
}

// Many heads (several blocks per token), n_rot below head_dim, q and k of
// different head counts rotated by one call each.
TEST_F(CudaOps, RopeManyHeadsPartialRotation) {
  const int32_t head_dim = 128;
  const std::vector<int32_t> pos = {0, 5, 77, 1023};
  for (int32_t n_heads : {1, 4, 5, 32, 40}) {
    for (RopeMode mode : {RopeMode::kNormal, RopeMode::kNeox}) {
      RopeParams p{mode, 64, 500000.0f, 1.0f, nullptr};
      const auto x = random_floats(static_cast<size_t>(n_heads * head_dim) * pos.size(), 50 + n_heads);
      auto xg = upload_f32(*gpu_, x, n_heads * head_dim);
      gpu_->rope(xg.t, n_heads, head_dim, pos.data(), p);
      auto xc = upload_f32(*cpu_, x, n_heads * head_dim);
      cpu_->rope(xc.t, n_heads, head_dim, pos.data(), p);
      EXPECT_LT(max_rel_error(download_f32(*gpu_, xg.t), download_f32(*cpu_, xc.t)), 1e-6)
          << "heads " << n_heads << " mode " << static_cast<int>(mode);
    }
  }
}

// Per-row argmax on the device (greedy decoding) against core/argmax.h:
// vocabulary-sized random rows, and rows of ties, NaN and infinities.
TEST_F(CudaOps, ArgmaxRowsMatchTheHostRule) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  for (int64_t n : {int64_t{7}, int64_t{1000}, int64_t{32000}, int64_t{151936}}) {
    const int64_t rows = 9;
    auto x = random_floats(static_cast<size_t>(n * rows), 60 + n);
    for (int64_t i = 0; i < n; ++i) {
      x[static_cast<size_t>(1 * n + i)] = static_cast<float>(i % 5);        // ties: the first 4 wins
      x[static_cast<size_t>(2 * n + i)] = nan;                              // all NaN: 0
      x[static_cast<size_t>(3 * n + i)] = i % 2 == 0 ? -inf : nan;          // nothing above -inf: 0
      if (i == n - 1) x[static_cast<size_t>(4 * n + i)] = inf;              // +inf at the end
      if (i % 3 == 0) x[static_cast<size_t>(5 * n + i)] = nan;              // NaN mixed in
    }
    auto xt = upload_f32(*gpu_, x, n);
    std::vector<int32_t> got(static_cast<size_t>(rows), -1);
    gpu_->argmax_rows(xt.t, got.data());
    for (int64_t r = 0; r < rows; ++r) {
      EXPECT_EQ(got[static_cast<size_t>(r)], argmax_row(x.data() + r * n, n)) << "n " << n << " row " << r;
    }
  }
}

// Stores every position of several sequences (scattered blocks), then runs
// attention for all of them; returns the output of `be`.
struct AttentionCase {
  AttentionParams p;
  BatchInfo info;
  std::vector<std::vector<float>> k_seq, v_seq;
  std::vector<float> q;
  int32_t n_slots = 0;
};

AttentionCase make_case(int32_t head_dim, int32_t block_size, const std::vector<int32_t>& lens) {
  AttentionCase c;
  c.p = AttentionParams{8, 2, head_dim, 1.0f / std::sqrt(static_cast<float>(head_dim))};
  c.info.block_size = block_size;
  const int64_t kvd = c.p.n_head_kv * head_dim;
  int32_t next_block = 0;
  std::vector<int32_t> order;  // blocks handed out in a scrambled order
  int32_t total_blocks = 0;
  for (int32_t len : lens) total_blocks += (len + block_size - 1) / block_size;
  for (int32_t b = 0; b < total_blocks; ++b) order.push_back((b * 7 + 3) % total_blocks);
  for (size_t s = 0; s < lens.size(); ++s) {
    std::vector<int32_t> table;
    for (int32_t j = 0; j < (lens[s] + block_size - 1) / block_size; ++j) table.push_back(order[next_block++]);
    c.info.block_tables.push_back(table);
    c.k_seq.push_back(random_floats(static_cast<size_t>(lens[s] * kvd), 10 + s));
    c.v_seq.push_back(random_floats(static_cast<size_t>(lens[s] * kvd), 20 + s));
    for (int32_t j = 0; j < lens[s]; ++j) {
      c.info.positions.push_back(j);
      c.info.seq_of_token.push_back(static_cast<int32_t>(s));
    }
  }
  c.n_slots = total_blocks * block_size;
  c.q = random_floats(c.info.positions.size() * static_cast<size_t>(c.p.n_head * head_dim), 30);
  return c;
}

std::vector<float> run_attention(Backend& be, const AttentionCase& c, DType cache_type, bool last_only) {
  const int64_t kvd = c.p.n_head_kv * c.p.head_dim, qd = c.p.n_head * c.p.head_dim;
  std::vector<float> k_all, v_all;
  for (size_t s = 0; s < c.k_seq.size(); ++s) {
    k_all.insert(k_all.end(), c.k_seq[s].begin(), c.k_seq[s].end());
    v_all.insert(v_all.end(), c.v_seq[s].begin(), c.v_seq[s].end());
  }
  auto kc = upload(be, cache_type, {kvd, c.n_slots, 1, 1}, nullptr);
  auto vc = upload(be, cache_type, {kvd, c.n_slots, 1, 1}, nullptr);
  auto kt = upload_f32(be, k_all, kvd), vt = upload_f32(be, v_all, kvd);
  be.kv_store(kt.t, vt.t, kc.t, vc.t, c.info);
  BatchInfo info = c.info;
  std::vector<float> q = c.q;
  if (last_only) {  // one decode token: the last position of sequence 0
    const size_t t = c.k_seq[0].size() / static_cast<size_t>(kvd) - 1;
    info.positions = {c.info.positions[t]};
    info.seq_of_token = {0};
    q.assign(c.q.begin() + static_cast<int64_t>(t * qd), c.q.begin() + static_cast<int64_t>((t + 1) * qd));
  }
  auto qt = upload_f32(be, q, qd);
  auto out = upload(be, DType::kF32, {qd, info.n_tokens(), 1, 1}, nullptr);
  be.attention(qt.t, kc.t, vc.t, info, c.p, out.t);
  return download_f32(be, out.t);
}

TEST_F(CudaOps, PagedAttentionEveryHeadSize) {
  for (int32_t head_dim : {16, 32, 64, 128, 80}) {
    const AttentionCase c = make_case(head_dim, 4, {19, 6, 40});
    for (DType cache_type : {DType::kF32, DType::kF16}) {
      const auto got = run_attention(*gpu_, c, cache_type, false);
      const auto cpu = run_attention(*cpu_, c, cache_type, false);
      EXPECT_LT(max_rel_error(got, cpu), 1e-5) << "head_dim " << head_dim << " " << dtype_name(cache_type);
      const auto ref = ref::attention(c.q, c.info.positions, c.info.seq_of_token, c.k_seq, c.v_seq, c.p);
      EXPECT_LT(max_rel_error(got, ref), cache_type == DType::kF32 ? 1e-5 : 2e-3)
          << "head_dim " << head_dim << " " << dtype_name(cache_type);
    }
  }
}

TEST_F(CudaOps, LongContextSplitsAcrossBlocks) {
  // One decode token over 700 cached positions: few (token, head) pairs, so
  // the context is split over several blocks and merged.
  for (int32_t head_dim : {64, 128}) {
    const AttentionCase c = make_case(head_dim, 16, {700, 3});
    for (DType cache_type : {DType::kF32, DType::kF16}) {
      const auto got = run_attention(*gpu_, c, cache_type, true);
      const auto cpu = run_attention(*cpu_, c, cache_type, true);
      EXPECT_LT(max_rel_error(got, cpu), 1e-5) << "head_dim " << head_dim << " " << dtype_name(cache_type);
    }
  }
}

TEST_F(CudaOps, OutOfMemoryIsAStatus) {
  auto big = gpu_->alloc(size_t{1} << 50);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(big.status().message().find("out of memory"), std::string::npos) << big.status().message();
  // The backend still works afterwards.
  auto t = upload_f32(*gpu_, {1.0f, 2.0f}, 2);
  EXPECT_EQ(download_f32(*gpu_, t.t), (std::vector<float>{1.0f, 2.0f}));
}

}  // namespace
}  // namespace impetus::testing
