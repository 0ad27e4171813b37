// CUDA matrix products and get_rows against the CPU for every weight type.
//
// Tolerances (max |a - b| / max |b|):
//   1..8 tokens (matrix-vector kernels), and up to 32 (or 64) for Q4_0/Q8_0
//   (their int8 tensor-core kernel): vs the CPU scalar backend, 2e-5: both round
//   the activations to the same Q8 blocks (quantized types) or use them as
//   they are (float types); only summation order differs;
//   more tokens (cuBLAS): vs the double-precision product of the
//     dequantized weights and unrounded activations: 1e-5 for F32 weights
//     (SGEMM), 4e-3 otherwise (activations rounded to F16);
//   get_rows: bit-identical to the CPU's dequantize_row.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "cuda_test_util.h"
#include "tensor/quant/quant.h"
#include "testing/backends.h"
#include "testing/reference.h"
#include "testing/reference_ops.h"

namespace impetus::testing {
namespace {

// Q4_0 and Q8_0 products of up to 32 tokens take the Q8 kernels by default
// (kernels.h kMatvecDefaultBatch; up to 64 with IMPETUS_CUDA_MMA_MAX=64),
// the other types up to 8.
int64_t g_q8_max_batch = 32;
bool q8_path(DType type, int64_t n_tok) {
  return n_tok <= 8 || ((type == DType::kQ4_0 || type == DType::kQ8_0) && n_tok <= g_q8_max_batch);
}

const DType kTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                        DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

struct Weights {
  std::vector<uint8_t> bytes;  // stored type
  std::vector<float> deq;      // dequantized
};

Weights make_weights(DType type, int64_t n_in, int64_t n_out, uint64_t seed) {
  const auto w = random_floats(static_cast<size_t>(n_in * n_out), seed);
  const int64_t rb = dtype_row_bytes(type, n_in);
  Weights out;
  out.bytes.resize(static_cast<size_t>(rb * n_out));
  out.deq.resize(w.size());
  for (int64_t r = 0; r < n_out; ++r) {
    quantize_row(type, w.data() + r * n_in, out.bytes.data() + r * rb, n_in);
    dequantize_row(type, out.bytes.data() + r * rb, out.deq.data() + r * n_in, n_in);
  }
  return out;
}

class CudaMatmul : public ::testing::Test {
 protected:
  void SetUp() override {
    IMP_REQUIRE_CUDA();
    gpu_ = make_cuda();
    cpu_ = make_cpu_scalar();
    ASSERT_NE(gpu_, nullptr);
  }

  // y on `be` for weights w {n_in, n_out} and activations x.
  std::vector<float> run(Backend& be, DType type, const Weights& w, int64_t n_in, int64_t n_out,
                         const std::vector<float>& x, int64_t n_tok) {
    auto wt = upload(be, type, {n_in, n_out, 1, 1}, w.bytes.data());
    auto xt = upload_f32(be, x, n_in);
    auto yt = upload(be, DType::kF32, {n_out, n_tok, 1, 1}, nullptr);
    be.matmul(wt.t, xt.t, yt.t);
    return download_f32(be, yt.t);
  }

  void check(DType type, int64_t n_in, int64_t n_out, int64_t n_tok) {
    const Weights w = make_weights(type, n_in, n_out, 1 + n_in);
    const auto x = random_floats(static_cast<size_t>(n_in * n_tok), 7 + n_tok);
    const auto got = run(*gpu_, type, w, n_in, n_out, x, n_tok);
    if (q8_path(type, n_tok)) {
      const auto want = run(*cpu_, type, w, n_in, n_out, x, n_tok);
      EXPECT_LT(max_rel_error(got, want), 2e-5)
          << dtype_name(type) << " n_in=" << n_in << " n_out=" << n_out << " n_tok=" << n_tok;
    } else {
      const auto want = ref::matmul(w.deq, n_in, n_out, x, n_tok);
      EXPECT_LT(max_rel_error(got, want), type == DType::kF32 ? 1e-5 : 4e-3)
          << dtype_name(type) << " n_in=" << n_in << " n_out=" << n_out << " n_tok=" << n_tok;
    }
  }

  std::unique_ptr<CudaBackend> gpu_;
  std::unique_ptr<CpuBackend> cpu_;
};

TEST_F(CudaMatmul, EveryTypeDecodeAndPrefill) {
  for (DType type : kTypes) {
    for (int64_t n_tok : {1, 3, 8, 9, 64}) check(type, 512, 72, n_tok);
  }
}

TEST_F(CudaMatmul, ShapesOfRealModels) {
  // 4096 inputs: 16 items per row, 32 rows per block; 11008: 43 items per
  // row, rows split unevenly over blocks; 19200 F16: one row per block with
  // more items than threads.
  for (DType type : {DType::kQ4_0, DType::kQ8_0, DType::kF16, DType::kQ4_K, DType::kQ6_K}) {
    check(type, 4096, 100, 1);
    check(type, 4096, 37, 4);
  }
  for (DType type : {DType::kQ4_0, DType::kQ8_0, DType::kQ5_K}) check(type, 11008, 20, 1);
  check(DType::kF16, 19200, 3, 1);
  check(DType::kF16, 19200, 3, 2);
}

TEST_F(CudaMatmul, SmallRowsTakeBlockKernelsAndGenericPaths) {
  // 64 and 96 inputs: one legacy block per item; 40 F32/F16 inputs and 36
  // F16 inputs (rows not 16-byte aligned): the generic kernel.
  for (DType type : {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kF32,
                     DType::kF16, DType::kBF16}) {
    for (int64_t n_tok : {1, 5}) {
      check(type, 64, 33, n_tok);
      check(type, 96, 50, n_tok);
    }
  }
  for (int64_t n_tok : {1, 6, 12}) {
    check(DType::kF32, 40, 9, n_tok);
    check(DType::kF16, 36, 9, n_tok);
  }
}

TEST_F(CudaMatmul, BatchedDecodeOfQ4_0AndQ8_0) {
  // 512 and 4096 inputs: 16-byte aligned rows; 64 inputs: 4-byte aligned
  // (tensor cores); 96 inputs: 2-byte aligned rows (direct kernel, 8 tokens
  // at a time); more than 32 tokens: cuBLAS on the dequantized device layout.
  for (DType type : {DType::kQ4_0, DType::kQ8_0}) {
    for (int64_t n_tok : {2, 7, 9, 16, 17, 33, 64, 65, 128}) {
      check(type, 512, 72, n_tok);
      check(type, 64, 33, n_tok);
      check(type, 96, 50, n_tok);
    }
    for (int64_t n_tok : {2, 24, 64}) check(type, 4096, 40, n_tok);
  }
}

TEST_F(CudaMatmul, BatchedDecodeUpTo64Tokens) {
  // IMPETUS_CUDA_MMA_MAX=64: the tensor-core kernel with 5..8 token groups.
  ASSERT_EQ(setenv("IMPETUS_CUDA_MMA_MAX", "64", 1), 0);
  gpu_ = make_cuda();
  g_q8_max_batch = 64;
  for (DType type : {DType::kQ4_0, DType::kQ8_0}) {
    for (int64_t n_tok : {33, 40, 64}) {
      check(type, 512, 72, n_tok);
      check(type, 64, 33, n_tok);
    }
  }
  g_q8_max_batch = 32;
  ASSERT_EQ(unsetenv("IMPETUS_CUDA_MMA_MAX"), 0);
  gpu_ = make_cuda();  // back to the defaults for later tests
}

TEST_F(CudaMatmul, BatchedDecodeWithoutTensorCores) {
  // IMPETUS_CUDA_MMA_MIN above every count: the direct kernel, 8 tokens at a time.
  ASSERT_EQ(setenv("IMPETUS_CUDA_MMA_MIN", "1000", 1), 0);
  gpu_ = make_cuda();
  for (DType type : {DType::kQ4_0, DType::kQ8_0}) {
    for (int64_t n_tok : {2, 12, 32}) check(type, 512, 72, n_tok);
  }
  ASSERT_EQ(unsetenv("IMPETUS_CUDA_MMA_MIN"), 0);
  gpu_ = make_cuda();  // back to the defaults for later tests
}

TEST_F(CudaMatmul, BatchedWeightsShareTheInput) {
  // Two Q4_0 weights (one launch) and a Q8_0 one, 24 tokens.
  const int64_t n_in = 1024, n_tok = 24;
  const DType types[3] = {DType::kQ4_0, DType::kQ4_0, DType::kQ8_0};
  const int64_t n_outs[3] = {48, 16, 40};
  const auto x = random_floats(static_cast<size_t>(n_in * n_tok), 4);
  std::vector<Weights> ws;
  std::vector<DeviceTensor> wt, yt;
  Tensor wts[3], yts[3];
  for (int i = 0; i < 3; ++i) {
    ws.push_back(make_weights(types[i], n_in, n_outs[i], 30 + i));
    wt.push_back(upload(*gpu_, types[i], {n_in, n_outs[i], 1, 1}, ws[i].bytes.data()));
    yt.push_back(upload(*gpu_, DType::kF32, {n_outs[i], n_tok, 1, 1}, nullptr));
    wts[i] = wt.back().t;
    yts[i] = yt.back().t;
  }
  auto xt = upload_f32(*gpu_, x, n_in);
  gpu_->matmul_n(wts, 3, xt.t, yts);
  for (int i = 0; i < 3; ++i) {
    const auto want = run(*cpu_, types[i], ws[i], n_in, n_outs[i], x, n_tok);
    EXPECT_LT(max_rel_error(download_f32(*gpu_, yts[i]), want), 2e-5) << "weight " << i;
  }
}

TEST_F(CudaMatmul, DeviceLayoutRoundTrips) {
  // Q4_0/Q8_0 are repacked on the device (backend/cuda/repack.h): write()
  // then read() gives back the file's bytes, also for a partial last row;
  // upload_weight() repacks the same way (its product matches the CPU).
  for (DType type : {DType::kQ4_0, DType::kQ8_0}) {
    const int64_t n_in = 96, n_rows = 7;
    const Weights w = make_weights(type, n_in, n_rows, 11);
    auto t = upload(*gpu_, type, {n_in, n_rows, 1, 1}, w.bytes.data());
    std::vector<uint8_t> back(w.bytes.size());
    gpu_->read(t.t, back.data(), back.size());
    EXPECT_EQ(back, w.bytes) << dtype_name(type);
    const size_t partial = w.bytes.size() - 10;
    gpu_->write(t.t, w.bytes.data(), partial);
    std::vector<uint8_t> some(partial);
    gpu_->read(t.t, some.data(), partial);
    EXPECT_TRUE(std::equal(some.begin(), some.end(), w.bytes.begin())) << dtype_name(type);

    const int64_t big_in = 4096, big_rows = 24;
    const Weights wb = make_weights(type, big_in, big_rows, 12);
    auto up = gpu_->upload_weight(TensorView{type, {big_in, big_rows, 1, 1}, wb.bytes.data()});
    ASSERT_TRUE(up.ok()) << up.status().to_string();
    const auto x = random_floats(static_cast<size_t>(big_in), 13);
    auto xt = upload_f32(*gpu_, x, big_in);
    auto yt = upload(*gpu_, DType::kF32, {big_rows, 1, 1, 1}, nullptr);
    gpu_->matmul(*up, xt.t, yt.t);
    const auto want = run(*cpu_, type, wb, big_in, big_rows, x, 1);
    EXPECT_LT(max_rel_error(download_f32(*gpu_, yt.t), want), 2e-5) << dtype_name(type);

    // 40 tokens: cuBLAS on the weight's F16 copy when the device keeps one
    // (CudaBackendOptions::f16_weights), else the tensor-core kernel.
    const int64_t n_tok = 40;
    const auto xs = random_floats(static_cast<size_t>(big_in * n_tok), 14);
    auto xst = upload_f32(*gpu_, xs, big_in);
    auto yst = upload(*gpu_, DType::kF32, {big_rows, n_tok, 1, 1}, nullptr);
    gpu_->matmul(*up, xst.t, yst.t);
    const auto ref_y = ref::matmul(wb.deq, big_in, big_rows, xs, n_tok);
    EXPECT_LT(max_rel_error(download_f32(*gpu_, yst.t), ref_y), 4e-3)
        << dtype_name(type) << " F16 copies: " << gpu_->stats().f16_weight_bytes << " bytes";
  }
}

// gate/up product, SwiGLU into gate, down product of it (the FFN of a
// decode step) on `be`; returns gate then down's output.
std::vector<float> ffn_step(CudaBackend& be, DType type, const std::vector<Weights>& w, int64_t n_in, int64_t n_ff,
                            const std::vector<float>& x) {
  auto g = upload(be, type, {n_in, n_ff, 1, 1}, w[0].bytes.data());
  auto u = upload(be, type, {n_in, n_ff, 1, 1}, w[1].bytes.data());
  auto d = upload(be, type, {n_ff, n_in, 1, 1}, w[2].bytes.data());
  auto xt = upload_f32(be, x, n_in);
  auto gt = upload(be, DType::kF32, {n_ff, 1, 1, 1}, nullptr), ut = upload(be, DType::kF32, {n_ff, 1, 1, 1}, nullptr);
  auto yt = upload(be, DType::kF32, {n_in, 1, 1, 1}, nullptr);
  std::vector<float> out;
  for (int rep = 0; rep < 3; ++rep) {  // the epilogue's counters must be back at zero each time
    Tensor ws[2] = {g.t, u.t}, ys[2] = {gt.t, ut.t};
    be.matmul_n(ws, 2, xt.t, ys);
    be.swiglu(gt.t, ut.t, gt.t);
    be.matmul(d.t, gt.t, yt.t);
    auto gate = download_f32(be, gt.t), y = download_f32(be, yt.t);
    gate.insert(gate.end(), y.begin(), y.end());
    if (rep > 0) {
      EXPECT_EQ(gate, out) << dtype_name(type) << " run " << rep;
    }
    out = gate;
  }
  return out;
}

TEST_F(CudaMatmul, FusedSwigluEpilogueIsExact) {
  // The product computing SwiGLU and its Q8 form in its epilogue (fused
  // ops; opt-in) gives bit-identical results to the separate kernels.
  auto plain = make_cuda(false, false);
  ASSERT_EQ(setenv("IMPETUS_CUDA_SWIGLU_EPILOGUE", "1", 1), 0);
  gpu_ = make_cuda();
  ASSERT_EQ(unsetenv("IMPETUS_CUDA_SWIGLU_EPILOGUE"), 0);
  for (DType type : {DType::kQ4_0, DType::kQ8_0, DType::kF16, DType::kQ6_K}) {
    const int64_t n_in = 512, n_ff = 512;  // 16 groups of 32 rows; whole Q6_K blocks
    std::vector<Weights> w = {make_weights(type, n_in, n_ff, 40), make_weights(type, n_in, n_ff, 41),
                              make_weights(type, n_ff, n_in, 42)};
    const auto x = random_floats(static_cast<size_t>(n_in), 43);
    const uint64_t fused_before = gpu_->stats().fused_ops;
    EXPECT_EQ(ffn_step(*gpu_, type, w, n_in, n_ff, x), ffn_step(*plain, type, w, n_in, n_ff, x)) << dtype_name(type);
    EXPECT_GT(gpu_->stats().fused_ops, fused_before) << dtype_name(type);
  }
}

TEST_F(CudaMatmul, FusedSwigluByDefaultForWideQ4_0) {
  // By default the SwiGLU is fused into Q4_0 gate/up products with at least
  // two groups of 32 outputs per SM (10,240 outputs cover up to 160 SMs):
  // bit-identical to the separate kernels, Q8 output included (the down
  // product reads it).
  auto plain = make_cuda(false, false);
  const int64_t n_in = 256, n_ff = 10240;
  std::vector<Weights> w = {make_weights(DType::kQ4_0, n_in, n_ff, 50), make_weights(DType::kQ4_0, n_in, n_ff, 51),
                            make_weights(DType::kQ4_0, n_ff, n_in, 52)};
  const auto x = random_floats(static_cast<size_t>(n_in), 53);
  const uint64_t fused_before = gpu_->stats().fused_ops;
  EXPECT_EQ(ffn_step(*gpu_, DType::kQ4_0, w, n_in, n_ff, x), ffn_step(*plain, DType::kQ4_0, w, n_in, n_ff, x));
  EXPECT_GE(gpu_->stats().fused_ops, fused_before + 2);  // Swiglu and its Quantize
}

TEST_F(CudaMatmul, SeveralWeightsShareTheInput) {
  // q/k/v-like: two Q4_0 weights and one Q6_K (split into two launches) and
  // a float one, in one matmul_n, against separate CPU products.
  const int64_t n_in = 512, n_tok = 2;
  const DType types[4] = {DType::kQ4_0, DType::kQ4_0, DType::kQ6_K, DType::kF16};
  const int64_t n_outs[4] = {64, 32, 32, 16};
  const auto x = random_floats(static_cast<size_t>(n_in * n_tok), 3);
  std::vector<Weights> ws;
  for (int i = 0; i < 4; ++i) ws.push_back(make_weights(types[i], n_in, n_outs[i], 20 + i));
  std::vector<DeviceTensor> wt, yt;
  Tensor wts[4], yts[4];
  for (int i = 0; i < 4; ++i) {
    wt.push_back(upload(*gpu_, types[i], {n_in, n_outs[i], 1, 1}, ws[i].bytes.data()));
    yt.push_back(upload(*gpu_, DType::kF32, {n_outs[i], n_tok, 1, 1}, nullptr));
    wts[i] = wt.back().t;
    yts[i] = yt.back().t;
  }
  auto xt = upload_f32(*gpu_, x, n_in);
  gpu_->matmul_n(wts, 4, xt.t, yts);
  for (int i = 0; i < 4; ++i) {
    const auto want = run(*cpu_, types[i], ws[i], n_in, n_outs[i], x, n_tok);
    EXPECT_LT(max_rel_error(download_f32(*gpu_, yts[i]), want), 2e-5) << "weight " << i;
  }
}

TEST_F(CudaMatmul, GetRowsIsExact) {
  for (DType type : kTypes) {
    const int64_t n_in = 512, n_rows = 40;
    const Weights w = make_weights(type, n_in, n_rows, 5);
    auto wt = upload(*gpu_, type, {n_in, n_rows, 1, 1}, w.bytes.data());
    const std::vector<int32_t> ids = {5, 0, 39, 5, 17};
    auto out = upload(*gpu_, DType::kF32, {n_in, 5, 1, 1}, nullptr);
    gpu_->get_rows(wt.t, ids.data(), 5, out.t);
    const auto got = download_f32(*gpu_, out.t);
    for (size_t i = 0; i < ids.size(); ++i) {
      for (int64_t c = 0; c < n_in; ++c) {
        ASSERT_EQ(got[i * n_in + c], w.deq[ids[i] * n_in + c]) << dtype_name(type) << " row " << ids[i];
      }
    }
  }
}

}  // namespace
}  // namespace impetus::testing
