// Tests for core/fp16.h: exact half and bfloat16 values, round-to-nearest-even
// ties, subnormals, overflow, inf/nan, and exhaustive round trips over all
// 65536 bit patterns. Where the compiler has _Float16 (GCC/Clang on x86-64
// and AArch64), f32_to_f16 is also compared with the compiler's conversion.
#include "core/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace impetus {
namespace {

bool is_f16_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0; }
bool is_bf16_nan(uint16_t h) { return (h & 0x7f80) == 0x7f80 && (h & 0x007f) != 0; }

TEST(Fp16, DecodesExactValues) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x3800), 0.5f);
  EXPECT_EQ(f16_to_f32(0x3555), 0.333251953125f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7C01)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0xFFFF)));
}

TEST(Fp16, EncodesExactValuesAndOverflow) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xC000);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.0f, -24)), 0x03FF);
  // 65520 is halfway between 65504 and 65536 (= inf): ties to even -> inf.
  EXPECT_EQ(f32_to_f16(65519.996f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);
  EXPECT_EQ(f32_to_f16(1e5f), 0x7C00);
  EXPECT_EQ(f32_to_f16(-1e5f), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::max()), 0x7C00);
  EXPECT_EQ(f32_to_f16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_TRUE(is_f16_nan(f32_to_f16(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(is_f16_nan(f32_to_f16(-std::numeric_limits<float>::quiet_NaN())));
  // A NaN whose payload sits only in the low 13 bits must stay NaN, not inf.
  EXPECT_TRUE(is_f16_nan(f32_to_f16(bits_to_f32(0x7F800001u))));
}

TEST(Fp16, RoundsTiesToEven) {
  // Normal range: 1 + 2^-11 is halfway between 0x3C00 and 0x3C01.
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(f32_to_f16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3C01);
  EXPECT_EQ(f32_to_f16(std::nextafter(1.0f + 3 * std::ldexp(1.0f, -11), 0.0f)), 0x3C01);
  // Subnormal range: 2^-25 is halfway between 0 and the smallest subnormal.
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(f32_to_f16(-std::ldexp(1.0f, -25)), 0x8000);
  EXPECT_EQ(f32_to_f16(3 * std::ldexp(1.0f, -25)), 0x0002);
  EXPECT_EQ(f32_to_f16(5 * std::ldexp(1.0f, -25)), 0x0002);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -30)), 0x0000);
  // Largest subnormal + half a step rounds up into the smallest normal.
  EXPECT_EQ(f32_to_f16(std::ldexp(1023.5f, -24)), 0x0400);
  EXPECT_EQ(f32_to_f16(std::ldexp(1022.5f, -24)), 0x03FE);
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = f16_to_f32(bits);
    if (is_f16_nan(bits)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      ASSERT_TRUE(is_f16_nan(f32_to_f16(f))) << std::hex << h;
    } else {
      ASSERT_EQ(f32_to_f16(f), bits) << std::hex << h;
    }
  }
}

TEST(Fp16, HalfwayPointsBetweenNeighboursTieToEven) {
  // For each pair of adjacent finite positive halves, their midpoint (exact in
  // float) must round to the one with an even significand.
  for (uint16_t h = 0; h < 0x7BFF; ++h) {
    const float mid = 0.5f * (f16_to_f32(h) + f16_to_f32(static_cast<uint16_t>(h + 1)));
    const uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : h;
    ASSERT_EQ(f32_to_f16(mid), even) << std::hex << h;
    ASSERT_EQ(f32_to_f16(-mid), even | 0x8000) << std::hex << h;
  }
}

#if defined(__FLT16_MAX__)
void expect_matches_compiler(uint64_t begin, uint64_t end, uint64_t stride) {
  for (uint64_t u = begin; u <= end; u += stride) {
    const float f = bits_to_f32(static_cast<uint32_t>(u));
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t want;
    std::memcpy(&want, &h, 2);
    ASSERT_EQ(f32_to_f16(f), want) << std::hex << u;
  }
}

TEST(Fp16, MatchesCompilerConversion) {
  expect_matches_compiler(0, 0xFFFFFFFFu, 1021);  // the whole range, sparsely
  // Denser where the rules change: the subnormal/normal boundary
  // (|x| in [2^-26, 2^-13)) and the top of the range (|x| in [2^15, 2^17)).
  for (uint32_t sign : {0u, 0x80000000u}) {
    expect_matches_compiler(sign | (101u << 23), sign | (114u << 23), 127);
    expect_matches_compiler(sign | (142u << 23), sign | (144u << 23), 31);
  }
}
#endif

TEST(Bf16, ExactValuesTiesAndSpecials) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_f32(0x7F7F), 0x1.FEp127f);
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie -> even
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie -> even
  EXPECT_EQ(f32_to_bf16(std::nextafter(1.0f + std::ldexp(1.0f, -8), 2.0f)), 0x3F81);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds up to inf
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(f32_to_bf16(bits_to_f32(0x00010000u)), 0x0001);  // float subnormals keep their bits
  EXPECT_TRUE(is_bf16_nan(f32_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(is_bf16_nan(f32_to_bf16(bits_to_f32(0x7F800001u))));  // payload only in low bits
}

TEST(Bf16, EveryBf16RoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    if (is_bf16_nan(bits)) {
      ASSERT_TRUE(is_bf16_nan(f32_to_bf16(bf16_to_f32(bits)))) << std::hex << h;
    } else {
      ASSERT_EQ(f32_to_bf16(bf16_to_f32(bits)), bits) << std::hex << h;
    }
  }
}

TEST(Bf16, MatchesNearestEvenReference) {
  // Reference: truncate the magnitude to 16 bits, then step up one bf16 when
  // the discarded 16 bits are above half, or exactly half and odd (a carry
  // into the exponent, up to inf, is the correct result).
  for (uint64_t u = 0; u <= 0xFFFFFFFFu; u += 997) {
    const auto x = static_cast<uint32_t>(u);
    const float f = bits_to_f32(x);
    if (std::isnan(f)) continue;
    const uint32_t lo = x & 0xFFFF0000u;
    const uint32_t rest = x & 0xFFFFu;
    uint32_t want = lo >> 16;
    if (rest > 0x8000u || (rest == 0x8000u && (want & 1u))) ++want;
    ASSERT_EQ(f32_to_bf16(f), want) << std::hex << x;
  }
}

}  // namespace
}  // namespace impetus
