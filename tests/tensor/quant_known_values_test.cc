// Known-value tests for the scalar (de)quantizers: blocks whose bytes are
// written out by hand, with the expected floats worked out from the ggml
// format definitions (not from our code), plus a few quantizer outputs whose
// bytes follow from llama.cpp's reference rounding rules.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/quant/blocks.h"
#include "tensor/quant/quant.h"

namespace impetus {
namespace {

using Bytes = std::vector<uint8_t>;

std::vector<float> dequant(DType t, const Bytes& bytes, int64_t n) {
  EXPECT_EQ(static_cast<int64_t>(bytes.size()), dtype_row_bytes(t, n));
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(t, bytes.data(), out.data(), n);
  return out;
}

Bytes quant(DType t, const std::vector<float>& x) {
  Bytes out(static_cast<size_t>(dtype_row_bytes(t, static_cast<int64_t>(x.size()))), 0xcd);
  quantize_row(t, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// qs[j] = j | (15 - j) << 4: low nibbles 0..15, high nibbles 15..0.
const Bytes kNibbles = {0xF0, 0xE1, 0xD2, 0xC3, 0xB4, 0xA5, 0x96, 0x87,
                        0x78, 0x69, 0x5A, 0x4B, 0x3C, 0x2D, 0x1E, 0x0F};

TEST(QuantKnownValues, Q4_0) {
  // d = 0.5 (half 0x3800); value = (q - 8) * d; low nibbles are elements 0..15.
  const auto y = dequant(DType::kQ4_0, concat({{0x00, 0x38}, kNibbles}), 32);
  // clang-format off
  const std::vector<float> want = {-4.0, -3.5, -3.0, -2.5, -2.0, -1.5, -1.0, -0.5,
                                    0.0,  0.5,  1.0,  1.5,  2.0,  2.5,  3.0,  3.5,
                                    3.5,  3.0,  2.5,  2.0,  1.5,  1.0,  0.5,  0.0,
                                   -0.5, -1.0, -1.5, -2.0, -2.5, -3.0, -3.5, -4.0};
  // clang-format on
  EXPECT_EQ(y, want);
}

TEST(QuantKnownValues, Q4_1) {
  // d = 0.25 (0x3400), m = -1 (0xBC00); value = q * d + m.
  const auto y = dequant(DType::kQ4_1, concat({{0x00, 0x34, 0x00, 0xBC}, kNibbles}), 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.25f - 1.0f) << j;
    EXPECT_EQ(y[j + 16], (15 - j) * 0.25f - 1.0f) << j;
  }
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[15], 2.75f);
}

// Q5 blocks below: qh bytes 55 55 AA AA = uint32 0xAAAA5555, so element j < 16
// has bit 4 set for even j, element j + 16 for odd j.
const Bytes kQh = {0x55, 0x55, 0xAA, 0xAA};
// The 5-bit quants that kNibbles + kQh encode, element by element.
const std::vector<int> kQ5 = {16, 1,  18, 3,  20, 5,  22, 7,  24, 9,  26, 11, 28, 13, 30, 15,
                              15, 30, 13, 28, 11, 26, 9,  24, 7,  22, 5,  20, 3,  18, 1,  16};

TEST(QuantKnownValues, Q5_0) {
  // d = 1 (0x3C00); value = (q - 16) * d.
  const auto y = dequant(DType::kQ5_0, concat({{0x00, 0x3C}, kQh, kNibbles}), 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], static_cast<float>(kQ5[j] - 16)) << j;
  EXPECT_EQ(y[1], -15.0f);
  EXPECT_EQ(y[17], 14.0f);
}

TEST(QuantKnownValues, Q5_1) {
  // d = 0.5 (0x3800), m = 2 (0x4000); value = q * d + m.
  const auto y = dequant(DType::kQ5_1, concat({{0x00, 0x38, 0x00, 0x40}, kQh, kNibbles}), 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], kQ5[j] * 0.5f + 2.0f) << j;
  EXPECT_EQ(y[14], 17.0f);
}

TEST(QuantKnownValues, Q8_0) {
  // d = 0.25 (0x3400); qs[j] = 8j - 128 as int8 (0x80, 0x88, ..., 0x78).
  Bytes b = {0x00, 0x34};
  for (int j = 0; j < 32; ++j) b.push_back(static_cast<uint8_t>(0x80 + 8 * j));
  const auto y = dequant(DType::kQ8_0, b, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (8 * j - 128) * 0.25f) << j;
  EXPECT_EQ(y[0], -32.0f);
  EXPECT_EQ(y[31], 30.0f);
}

// Q4_K/Q5_K packed scales: sub-block scales {1,2,3,63,17,45,32,60} and mins
// {0,5,63,7,33,1,48,20}. Bytes 0..3: scale[0..3] | top 2 bits of scale[4..7]
// << 6; bytes 4..7: min[0..3] | top 2 bits of min[4..7] << 6; bytes 8..11:
// low nibble of scale[4..7] | low nibble of min[4..7] << 4.
const Bytes kKScales = {0x41, 0x82, 0x83, 0xFF, 0x80, 0x05, 0xFF, 0x47, 0x11, 0x1D, 0x00, 0x4C};
const std::array<int, 8> kKSc = {1, 2, 3, 63, 17, 45, 32, 60};
const std::array<int, 8> kKMin = {0, 5, 63, 7, 33, 1, 48, 20};

TEST(QuantKnownValues, KScaleMinUnpackAndPack) {
  for (int j = 0; j < 8; ++j) {
    int sc = -1, mn = -1;
    k_scale_min(j, kKScales.data(), &sc, &mn);
    EXPECT_EQ(sc, kKSc[j]) << j;
    EXPECT_EQ(mn, kKMin[j]) << j;
  }
  std::array<uint8_t, 8> sc{}, mn{};
  for (int j = 0; j < 8; ++j)
    sc[j] = static_cast<uint8_t>(kKSc[j]), mn[j] = static_cast<uint8_t>(kKMin[j]);
  std::array<uint8_t, 12> packed{};
  k_pack_scale_min(sc.data(), mn.data(), packed.data());
  EXPECT_EQ(Bytes(packed.begin(), packed.end()), kKScales);
}

Bytes pattern(int n, int mul, int add) {
  Bytes b;
  for (int i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>((i * mul + add) & 0xff));
  return b;
}

TEST(QuantKnownValues, Q4_K) {
  // d = 1 (0x3C00), dmin = 0.5 (0x3800). Element e lives in chunk c = e / 64:
  // low nibble of qs[32c + e % 32] for e % 64 < 32, else the high nibble;
  // its sub-block is e / 32; value = d * scale * q - dmin * min.
  const Bytes qs = pattern(128, 37, 11);
  const auto y = dequant(DType::kQ4_K, concat({{0x00, 0x3C, 0x00, 0x38}, kKScales, qs}), 256);
  for (int e = 0; e < 256; ++e) {
    const int byte = qs[32 * (e / 64) + e % 32];
    const int q = (e % 64 < 32) ? (byte & 15) : (byte >> 4);
    EXPECT_EQ(y[e], 1.0f * kKSc[e / 32] * q - 0.5f * kKMin[e / 32]) << e;
  }
  EXPECT_EQ(y[0], 11.0f);     // qs[0] = 0x0B: q = 11, scale 1, min 0
  EXPECT_EQ(y[32], -2.5f);    // high nibble of qs[0] = 0: -0.5 * 5
  EXPECT_EQ(y[255], 350.0f);  // high nibble of qs[127] = 0x66 -> 6: 60 * 6 - 0.5 * 20
}

TEST(QuantKnownValues, Q5_K) {
  // As Q4_K, plus bit 4 from qh[e % 32], bit 2c (low nibbles) or 2c+1 (high).
  const Bytes qh = pattern(32, 53, 7);
  const Bytes qs = pattern(128, 37, 11);
  const auto y = dequant(DType::kQ5_K, concat({{0x00, 0x3C, 0x00, 0x38}, kKScales, qh, qs}), 256);
  for (int e = 0; e < 256; ++e) {
    const int c = e / 64;
    const bool high = e % 64 >= 32;
    const int byte = qs[32 * c + e % 32];
    const int bit = (qh[e % 32] >> (2 * c + (high ? 1 : 0))) & 1;
    const int q = (high ? (byte >> 4) : (byte & 15)) | (bit << 4);
    EXPECT_EQ(y[e], 1.0f * kKSc[e / 32] * q - 0.5f * kKMin[e / 32]) << e;
  }
  EXPECT_EQ(y[0], 27.0f);  // qs[0] low = 11, qh[0] = 7 -> bit 0 set: 27 * 1 - 0
}

TEST(QuantKnownValues, Q6_KSpotValues) {
  // All ql = qh = 0 (q = -32) except: ql[0] = 0x21, ql[32] = 0x43, qh[0] = 0xE4,
  // ql[69] = 0xF0, qh[37] = 0x30. scales all 2 except [0]=1, [2]=4, [4]=-1,
  // [6]=5, [8]=7, [12]=-3. d = 0.25 (0x3400).
  Bytes ql(128, 0), qh(64, 0);
  ql[0] = 0x21, ql[32] = 0x43, qh[0] = 0xE4, ql[69] = 0xF0, qh[37] = 0x30;
  Bytes sc(16, 2);
  sc[0] = 1, sc[2] = 4, sc[4] = 0xFF, sc[6] = 5, sc[8] = 7, sc[12] = 0xFD;
  const auto y = dequant(DType::kQ6_K, concat({ql, qh, sc, {0x00, 0x34}}), 256);
  EXPECT_EQ(y[0], -7.75f);     // low 1, high 0 -> 1 - 32 = -31; 0.25 * 1 * -31
  EXPECT_EQ(y[32], -13.0f);    // low 3 (ql[32]), high 1 (qh[0] bits 2-3) -> 19 - 32; * 0.25 * 4
  EXPECT_EQ(y[64], -0.5f);     // low 2 (ql[0] high), high 2 -> 34 - 32 = 2; * 0.25 * -1
  EXPECT_EQ(y[96], 25.0f);     // low 4 (ql[32] high), high 3 -> 52 - 32 = 20; * 0.25 * 5
  EXPECT_EQ(y[133], -56.0f);   // second half, l = 5: low 0, high 0 -> -32; * 0.25 * 7
  EXPECT_EQ(y[197], -23.25f);  // l = 5, quarter 2: low 15 (ql[69] high), high 3 -> 31; * 0.25 * -3
  EXPECT_EQ(y[1], -8.0f);      // q = -32, scale 1
  EXPECT_EQ(y[16], -16.0f);    // q = -32, scale 2
  EXPECT_EQ(y[255], -16.0f);
}

TEST(QuantKnownValues, Q6_KPattern) {
  // Element e: half h = e / 128, quarter g = e % 128 / 32, l = e % 32; low 4
  // bits in ql[64h + l + 32 (g odd)] (high nibble for g >= 2), top 2 bits in
  // bits 2g..2g+1 of qh[32h + l]; value = d * scales[e / 16] * (q - 32).
  const Bytes ql = pattern(128, 29, 3), qh = pattern(64, 71, 5);
  const Bytes sc = {1, 0xFE, 3, 0xFC, 5, 0xFA, 7, 0xF8, 127, 0x80, 10, 0xF6, 20, 0xEC, 0, 64};
  const auto y = dequant(DType::kQ6_K, concat({ql, qh, sc, {0x00, 0x38}}), 256);
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, g = e % 128 / 32, l = e % 32;
    const int lo = (ql[64 * h + l + 32 * (g % 2)] >> (g >= 2 ? 4 : 0)) & 15;
    const int hi = (qh[32 * h + l] >> (2 * g)) & 3;
    const float want = 0.5f * static_cast<int8_t>(sc[e / 16]) * ((lo | hi << 4) - 32);
    EXPECT_EQ(y[e], want) << e;
  }
}

TEST(QuantKnownValues, Q8_K) {
  // d = 0.125 as f32 (bytes 00 00 00 3E), qs[j] = j - 128, then 16 bsums.
  Bytes b = {0x00, 0x00, 0x00, 0x3E};
  for (int j = 0; j < 256; ++j) b.push_back(static_cast<uint8_t>(j ^ 0x80));
  b.resize(b.size() + 32, 0);
  const auto y = dequant(DType::kQ8_K, b, 256);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], (j - 128) * 0.125f) << j;
}

TEST(QuantKnownValues, F16AndBF16Rows) {
  // 1.0, -2.0, 65504 as half; 1.0, -2.0, 3.0e38-ish as bfloat16 (little-endian).
  EXPECT_EQ(dequant(DType::kF16, {0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B}, 3),
            (std::vector<float>{1.0f, -2.0f, 65504.0f}));
  EXPECT_EQ(dequant(DType::kBF16, {0x80, 0x3F, 0x00, 0xC0, 0x80, 0x40}, 3),
            (std::vector<float>{1.0f, -2.0f, 4.0f}));
  EXPECT_EQ(quant(DType::kF16, {1.0f, -2.0f, 65504.0f}),
            (Bytes{0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B}));
  EXPECT_EQ(quant(DType::kBF16, {1.0f, -2.0f, 4.0f}), (Bytes{0x80, 0x3F, 0x00, 0xC0, 0x80, 0x40}));
  EXPECT_EQ(dequant(DType::kF32, quant(DType::kF32, {1.5f, -0.0f}), 2),
            (std::vector<float>{1.5f, -0.0f}));
}

// ---- quantizer outputs fixed by llama.cpp's reference rounding rules ----

TEST(QuantKnownValues, QuantizeQ4_0FollowsReferenceRule) {
  // x_j = (j - 16) / 8: the largest magnitude is x_0 = -2, so d = -2 / -8 =
  // 0.25 and q = trunc(x / d + 8.5) = trunc(j / 2 + 0.5), capped at 15.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = (j - 16) * 0.125f;
  const Bytes b = quant(DType::kQ4_0, x);
  const int q[32] = {0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,  6,  7,  7,  8,
                     8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 15};
  Bytes want = {0x00, 0x34};
  for (int j = 0; j < 16; ++j) want.push_back(static_cast<uint8_t>(q[j] | q[j + 16] << 4));
  EXPECT_EQ(b, want);
}

TEST(QuantKnownValues, QuantizeQ4_1FollowsReferenceRule) {
  // min -2, max 1.75: d = 3.75 / 15 = 0.25 (0x3400), m = -2 (0xC000);
  // q = trunc((x - min) / d + 0.5): halves round up.
  std::vector<float> x(32, 0.0f);  // 0 -> q = 8
  x[0] = -2.0f, x[1] = 1.75f, x[2] = -1.875f /* 0.5 -> 1 */, x[3] = -1.625f /* 1.5 -> 2 */;
  x[16] = -1.9f /* 0.4 -> 0 */, x[17] = 1.7f /* 14.8 -> 15 */;
  const Bytes b = quant(DType::kQ4_1, x);
  Bytes want = {0x00, 0x34, 0x00, 0xC0, 0x00, 0xFF, 0x81, 0x82};
  for (int j = 4; j < 16; ++j) want.push_back(0x88);
  EXPECT_EQ(b, want);
}

TEST(QuantKnownValues, QuantizeQ5FollowsReferenceRule) {
  // Q5_0: x_j = (j - 16) / 4, largest magnitude x_0 = -4 -> d = 0.25 and q = j.
  // Q5_1: x_j = j / 2 - 4 -> min -4 (0xC400), d = 15.5 / 31 = 0.5, q = j.
  // Either way element j + 16 has bit 4 set: qh = 00 00 FF FF.
  std::vector<float> x0(32), x1(32);
  for (int j = 0; j < 32; ++j) x0[j] = (j - 16) * 0.25f, x1[j] = j * 0.5f - 4.0f;
  Bytes qs;
  for (int j = 0; j < 16; ++j) qs.push_back(static_cast<uint8_t>(j | j << 4));
  EXPECT_EQ(quant(DType::kQ5_0, x0), concat({{0x00, 0x34, 0x00, 0x00, 0xFF, 0xFF}, qs}));
  EXPECT_EQ(quant(DType::kQ5_1, x1),
            concat({{0x00, 0x38, 0x00, 0xC4, 0x00, 0x00, 0xFF, 0xFF}, qs}));
}

TEST(QuantKnownValues, QuantizeQ8_0FollowsReferenceRule) {
  // amax 63.5 -> d = 0.5 (0x3800); q = round-half-away-from-zero(x / d).
  std::vector<float> x(32, 0.0f);
  x[0] = 63.5f, x[1] = -63.5f, x[2] = 0.25f, x[3] = -0.25f, x[4] = 0.74f, x[5] = 10.0f;
  x[6] = 0.2f /* 0.4 -> 0 */, x[7] = -1.25f /* -2.5 -> -3 */;
  Bytes want = {0x00, 0x38, 127, 0x81, 1, 0xFF, 1, 20, 0, 0xFD};
  want.resize(34, 0);
  EXPECT_EQ(quant(DType::kQ8_0, x), want);
}

TEST(QuantKnownValues, QuantizeQ8_KScaleAndSums) {
  // Largest magnitude -12.7 -> d = -12.7 / -127 = 0.1 (as f32 1 / (127 / 12.7)),
  // q = round-half-even(x / d); bsums are the sums of each 16 quants.
  std::vector<float> x(256, 0.0f);
  x[0] = -12.7f, x[1] = 1.0f, x[2] = 0.25f /* 2.5 -> 2 */, x[17] = 0.75f /* 7.5 -> 8 */;
  x[255] = 12.7f;
  const Bytes b = quant(DType::kQ8_K, x);
  BlockQ8_K blk;
  ASSERT_EQ(b.size(), sizeof(blk));
  std::memcpy(&blk, b.data(), sizeof(blk));
  EXPECT_FLOAT_EQ(blk.d, 0.1f);
  EXPECT_EQ(blk.qs[0], -127);
  EXPECT_EQ(blk.qs[1], 10);
  EXPECT_EQ(blk.qs[2], 2);
  EXPECT_EQ(blk.qs[17], 8);
  EXPECT_EQ(blk.qs[255], 127);
  EXPECT_EQ(blk.bsums[0], -127 + 10 + 2);
  EXPECT_EQ(blk.bsums[1], 8);
  EXPECT_EQ(blk.bsums[15], 127);
  for (int g = 2; g < 15; ++g) EXPECT_EQ(blk.bsums[g], 0);
}

TEST(QuantKnownValues, Capabilities) {
  for (DType t :
       {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
        DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K}) {
    EXPECT_TRUE(can_dequantize(t)) << dtype_name(t);
    EXPECT_TRUE(can_quantize(t)) << dtype_name(t);
  }
  for (DType t : {DType::kQ8_1, DType::kQ2_K, DType::kQ3_K, DType::kI32}) {
    EXPECT_FALSE(can_dequantize(t)) << dtype_name(t);
    EXPECT_FALSE(can_quantize(t)) << dtype_name(t);
  }
}

}  // namespace
}  // namespace impetus
