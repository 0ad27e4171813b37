// Round-trip and edge-case tests for the scalar (de)quantizers: error bounds
// on random normal data, re-quantization stability, and inputs that must never
// produce NaN or inf (zeros, constants, huge and tiny values).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "tensor/dtype.h"
#include "tensor/quant/quant.h"

namespace impetus {
namespace {

using Bytes = std::vector<uint8_t>;

const DType kAllTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0,
                           DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                           DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K};

Bytes quant(DType t, const std::vector<float>& x) {
  Bytes out(static_cast<size_t>(dtype_row_bytes(t, static_cast<int64_t>(x.size()))));
  quantize_row(t, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequant(DType t, const Bytes& b, size_t n) {
  std::vector<float> out(n);
  dequantize_row(t, b.data(), out.data(), static_cast<int64_t>(n));
  return out;
}

std::vector<float> round_trip(DType t, const std::vector<float>& x) {
  return dequant(t, quant(t, x), x.size());
}

std::vector<float> normal(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

// RMS of (y - x) divided by RMS of x, over [begin, end).
double rel_rmse(const std::vector<float>& x, const std::vector<float>& y, size_t begin = 0,
                size_t end = 0) {
  if (end == 0) end = x.size();
  double err = 0, ref = 0;
  for (size_t i = begin; i < end; ++i) {
    err += (static_cast<double>(y[i]) - x[i]) * (static_cast<double>(y[i]) - x[i]);
    ref += static_cast<double>(x[i]) * x[i];
  }
  return std::sqrt(err / ref);
}

bool all_finite(const std::vector<float>& y) {
  for (float v : y) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// Relative RMSE bounds on N(0, 1) data: the measured value (libstdc++'s
// normal_distribution, seed 1234, 16384 values) with 15-25% headroom.
const std::map<DType, double> kMaxRelRmse = {
    {DType::kF32, 0.0},      // exact
    {DType::kF16, 2.5e-4},   // 2.1e-4: 11-bit significand
    {DType::kBF16, 2.0e-3},  // 1.67e-3: 8-bit significand
    {DType::kQ4_0, 0.10},    // 0.0865
    {DType::kQ4_1, 0.09},    // 0.0782
    {DType::kQ5_0, 0.05},    // 0.0426
    {DType::kQ5_1, 0.045},   // 0.0376
    {DType::kQ8_0, 0.0065},  // 0.0054
    {DType::kQ4_K, 0.08},    // 0.0701
    {DType::kQ5_K, 0.04},    // 0.0345
    {DType::kQ6_K, 0.02},    // 0.0168
    {DType::kQ8_K, 0.0085},  // 0.0070
};

const DType kBlockTypes[] = {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                             DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K};

TEST(QuantRoundTrip, NormalDataWithinBounds) {
  const auto x = normal(256 * 64, 1234);
  std::map<DType, double> err;
  for (DType t : kAllTypes) {
    err[t] = rel_rmse(x, round_trip(t, x));
    EXPECT_LE(err[t], kMaxRelRmse.at(t)) << dtype_name(t);
  }
  // K types beat the legacy types of the same bit width.
  EXPECT_LT(err[DType::kQ4_K], err[DType::kQ4_1]);
  EXPECT_LT(err[DType::kQ4_1], err[DType::kQ4_0]);
  EXPECT_LT(err[DType::kQ5_K], err[DType::kQ5_1]);
  EXPECT_LT(err[DType::kQ5_1], err[DType::kQ5_0]);
  EXPECT_LT(err[DType::kQ6_K], err[DType::kQ5_K]);
}

TEST(QuantRoundTrip, ScaledDataKeepsRelativeError) {
  // Scale invariance while the half scales stay normal: sigma 1e-2 .. 1e3.
  for (float sigma : {1e-2f, 30.0f, 1e3f}) {
    const auto x = normal(256 * 16, 99, sigma);
    for (DType t : kAllTypes) {
      EXPECT_LE(rel_rmse(x, round_trip(t, x)), kMaxRelRmse.at(t) * 1.1)
          << dtype_name(t) << " " << sigma;
    }
  }
}

TEST(QuantRoundTrip, EachBlockHasItsOwnScale) {
  // Block b is scaled by 10^(b % 5 - 2); each block's error is checked alone.
  for (DType t : kBlockTypes) {
    const size_t bs = static_cast<size_t>(dtype_block_size(t)), n_blocks = 10;
    auto x = normal(bs * n_blocks, 7);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] *= std::pow(10.0f, static_cast<float>(i / bs % 5) - 2.0f);
    const auto y = round_trip(t, x);
    for (size_t b = 0; b < n_blocks; ++b) {
      EXPECT_LE(rel_rmse(x, y, b * bs, (b + 1) * bs), kMaxRelRmse.at(t) * 1.6)
          << dtype_name(t) << " block " << b;
    }
  }
}

TEST(QuantRoundTrip, RequantizingIsStable) {
  // Q8_0, Q4_0 and Q5_0 store a scale for which the block's largest magnitude
  // is exactly on the grid, so quantize(dequantize(q)) == q byte for byte.
  const auto x = normal(32 * 64, 5);
  for (DType t : {DType::kQ8_0, DType::kQ4_0, DType::kQ5_0}) {
    const Bytes q1 = quant(t, x);
    const Bytes q2 = quant(t, dequant(t, q1, x.size()));
    EXPECT_EQ(q1, q2) << dtype_name(t);
  }
  // Exact for the 16-bit formats too.
  for (DType t : {DType::kF16, DType::kBF16}) {
    const Bytes q1 = quant(t, x);
    EXPECT_EQ(q1, quant(t, dequant(t, q1, x.size()))) << dtype_name(t);
  }
}

TEST(QuantRoundTrip, RequantizingKTypesLosesLittle) {
  // Dequantized blocks lie on a grid the quantizer can find again: a second
  // round trip adds far less error than the first one made (measured: Q4_K
  // ~8%, Q5_K ~18% of it, where the super-block d moves and the 6-bit
  // sub-block scales re-round; 0 for the others here).
  const auto x = normal(256 * 32, 11);
  for (DType t :
       {DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ4_1, DType::kQ5_1, DType::kQ8_K}) {
    const auto y1 = round_trip(t, x);
    const auto y2 = round_trip(t, y1);
    EXPECT_LE(rel_rmse(y1, y2), 0.3 * rel_rmse(x, y1)) << dtype_name(t);
  }
}

TEST(QuantEdgeCases, ZerosStayZero) {
  const std::vector<float> x(512, 0.0f);
  for (DType t : kAllTypes) {
    for (float v : round_trip(t, x)) ASSERT_EQ(v, 0.0f) << dtype_name(t);
  }
}

TEST(QuantEdgeCases, ConstantRows) {
  for (float c : {3.0f, -3.0f, 0.05f, -250.0f}) {
    const std::vector<float> x(512, c);
    for (DType t : kAllTypes) {
      for (float v : round_trip(t, x))
        ASSERT_NEAR(v, c, 4e-3 * std::fabs(c)) << dtype_name(t) << " " << c;
    }
  }
  // Small enough that the half scales are subnormal (Q8_0: 1e-3 / 127), which
  // leaves only a few significant bits; K types round their d up, so the
  // 6/8-bit sub-block scales recover the precision.
  const float c = 1e-3f;
  const std::vector<float> x(512, c);
  for (DType t : kAllTypes) {
    const double tol = (t == DType::kQ8_0) ? 1e-2 : 4e-3;
    for (float v : round_trip(t, x)) ASSERT_NEAR(v, c, tol * c) << dtype_name(t);
  }
}

TEST(QuantEdgeCases, HugeAndTinyInputsStayFinite) {
  // Block types only: F16/BF16 are IEEE conversions and overflow to inf for
  // values beyond their range, like ggml's (see the fp16 tests).
  const float big = std::numeric_limits<float>::max();
  const float tiny = std::numeric_limits<float>::denorm_min();
  std::vector<std::vector<float>> rows;
  rows.push_back(std::vector<float>(256, big));
  rows.push_back(std::vector<float>(256, -big));
  std::vector<float> mixed(512);
  for (size_t i = 0; i < mixed.size(); ++i) {
    const float vals[] = {big, -big, 1e30f, -1e20f, 1e-30f, tiny, -tiny, 0.0f, 1.0f, 6e4f, -7e5f};
    mixed[i] = vals[i % 11];
  }
  rows.push_back(mixed);
  rows.push_back(normal(512, 3, 1e30f));
  rows.push_back(normal(512, 4, 1e-30f));
  rows.push_back(normal(512, 5, 1e-40f));  // float subnormals
  for (const auto& x : rows) {
    for (DType t : kBlockTypes) {
      const auto y = round_trip(t, x);
      ASSERT_TRUE(all_finite(y)) << dtype_name(t) << " x[0]=" << x[0];
    }
  }
}

TEST(QuantEdgeCases, HugeBlockDoesNotSpoilItsNeighbours) {
  for (DType t : kBlockTypes) {
    const size_t bs = static_cast<size_t>(dtype_block_size(t));
    auto x = normal(3 * bs, 8);
    for (size_t i = bs; i < 2 * bs; ++i) x[i] *= 1e35f;
    const auto y = round_trip(t, x);
    EXPECT_LE(rel_rmse(x, y, 0, bs), kMaxRelRmse.at(t) * 1.6) << dtype_name(t);
    EXPECT_LE(rel_rmse(x, y, 2 * bs, 3 * bs), kMaxRelRmse.at(t) * 1.6) << dtype_name(t);
  }
}

TEST(QuantEdgeCases, Q8KKeepsPrecisionAtExtremeScales) {
  // Q8_K's scale is a float, so it works across the whole float range.
  for (float sigma : {1e30f, 1e-30f}) {
    const auto x = normal(1024, 12, sigma);
    EXPECT_LE(rel_rmse(x, round_trip(DType::kQ8_K, x)), kMaxRelRmse.at(DType::kQ8_K)) << sigma;
  }
}

TEST(QuantEdgeCases, WritesExactlyTheRowAndReadsUnaligned) {
  for (DType t : kAllTypes) {
    const auto x = normal(512, 21);
    const size_t row = static_cast<size_t>(dtype_row_bytes(t, 512));
    Bytes buf(row + 1 + 64, 0xAB);
    quantize_row(t, x.data(), buf.data() + 1, 512);  // unaligned destination
    EXPECT_EQ(buf[0], 0xAB) << dtype_name(t);
    for (size_t i = row + 1; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xAB) << dtype_name(t);
    const Bytes aligned(buf.begin() + 1, buf.begin() + 1 + static_cast<std::ptrdiff_t>(row));
    EXPECT_EQ(aligned, quant(t, x)) << dtype_name(t);

    std::vector<float> y(512 + 8, -7.0f);
    dequantize_row(t, buf.data() + 1, y.data(), 512);  // unaligned source
    for (size_t i = 512; i < y.size(); ++i) ASSERT_EQ(y[i], -7.0f) << dtype_name(t);
    y.resize(512);
    EXPECT_EQ(y, dequant(t, aligned, 512)) << dtype_name(t);
  }
}

TEST(QuantEdgeCases, SixteenBitRowsMatchScalarConversions) {
  const auto x = normal(300, 17, 100.0f);
  const Bytes h = quant(DType::kF16, x), b = quant(DType::kBF16, x);
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(h[2 * i] | h[2 * i + 1] << 8, f32_to_f16(x[i]));
    ASSERT_EQ(b[2 * i] | b[2 * i + 1] << 8, f32_to_bf16(x[i]));
  }
}

}  // namespace
}  // namespace impetus
