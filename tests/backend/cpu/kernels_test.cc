// Kernel-level tests of every SIMD kernel table (each supported ISA other than
// scalar) against the scalar reference table (kernels_scalar.cc):
//   quantize_q8: bit-identical output bytes;
//   vec_dot:     |simd - exact| <= 1e-5 * mag and |simd - scalar| <= 1e-5 * mag
//                + |scalar - exact|, where exact = sum_i w_i * a_i in double
//                and mag = sum_i |w_i * a_i| (w, a dequantized). The integer
//                part of quantized dots is exact; only float summation order
//                differs (the scalar F32 loop itself drifts up to ~n * 2^-24
//                on adversarial rows, hence the second bound);
//   vec_dot_rows: every row within the vec_dot bounds, the exact one widened
//                by |scalar - exact| (the scalar's own error when dw * da is
//                subnormal, which random seeds may or may not hit);
//   gemm:        every out[t * stride + r] vs the same ISA's vec_dot within
//                1e-5 * mag, and nothing written outside the nr x nt tile;
//   KV kernels:  dot within 1e-5 * sum |k_i q_i|, axpy within 1e-6 * (|acc| + |a v|).
#include "backend/cpu/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "backend/cpu/isa.h"
#include "core/fp16.h"
#include "kernel_data.h"

namespace impetus::testing {
namespace {

using cpu::ActFormat;
using cpu::Isa;
using cpu::KernelTable;

constexpr double kRelTol = 1e-5;

std::vector<Isa> simd_isas() {
  std::vector<Isa> out;
  for (Isa i : cpu::supported_isas()) {
    if (i != Isa::kScalar) out.push_back(i);
  }
  return out;
}

const KernelTable& scalar_table() { return cpu::kernel_table(Isa::kScalar); }

// Sizes that the type supports (K-quants need n % 256 == 0).
std::vector<int64_t> sizes_for(DType t, std::vector<int64_t> all) {
  std::vector<int64_t> out;
  for (int64_t n : all) {
    if (n % dtype_block_size(t) == 0) out.push_back(n);
  }
  return out;
}

class KernelsTest : public ::testing::TestWithParam<Isa> {
 protected:
  const KernelTable& simd() const { return cpu::kernel_table(GetParam()); }
};

TEST_P(KernelsTest, QuantizeQ8IsBitIdenticalToScalar) {
  for (ActKind kind : act_kinds()) {
    for (int64_t n : {32, 64, 256, 2048, 5632}) {
      const auto x = make_acts(kind, n, 1, 11 + n);
      const size_t bytes = static_cast<size_t>(n) + 2 * sizeof(float) * static_cast<size_t>(n / 32);
      std::vector<uint8_t> want(bytes + 64, 0xab), got(bytes + 64, 0xab);
      scalar_table().quantize_q8(x.data(), n, want.data());
      simd().quantize_q8(x.data(), n, got.data());
      ASSERT_EQ(0, std::memcmp(want.data(), got.data(), want.size()))
          << act_kind_name(kind) << " n=" << n;
    }
  }
}

TEST_P(KernelsTest, QuantizeQ8RoundsHalfAwayFromZero) {
  // amax 127 -> d = 1 exactly: q must be lround(x).
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i) - 16.5f;
  x[0] = 127.0f;
  x[31] = -0.5f;
  x[30] = 0.5f;
  x[29] = 2.5f;
  std::vector<uint8_t> got(64 + 8);
  simd().quantize_q8(x.data(), 32, got.data());
  const int8_t* q = cpu::act_q8_qs(got.data());
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(q[i], std::lround(x[static_cast<size_t>(i)])) << "x=" << x[static_cast<size_t>(i)];
  EXPECT_EQ(q[31], -1);
  EXPECT_EQ(q[30], 1);
  EXPECT_EQ(q[29], 3);
}

TEST_P(KernelsTest, VecDotMatchesScalarEveryTypeAndInput) {
  constexpr int64_t kRows = 3;
  for (DType type : kernel_types()) {
    const auto& sk = scalar_table().of(type);
    const auto& vk = simd().of(type);
    ASSERT_NE(vk.vec_dot, nullptr) << dtype_name(type);
    ASSERT_EQ(vk.act, sk.act);
    for (int64_t n : sizes_for(type, {32, 96, 256, 512, 2048, 5632})) {
      for (WeightKind wk : weight_kinds()) {
        const auto w = make_weights(type, wk, n, kRows, 100 + n);
        const auto row_bytes = static_cast<size_t>(dtype_row_bytes(type, n));
        for (ActKind ak : act_kinds()) {
          const auto acts = make_act_rows(sk.act, make_acts(ak, n, 1, 7 + n), n, 1);
          for (int64_t r = 0; r < kRows; ++r) {
            const uint8_t* wr = w.data() + static_cast<size_t>(r) * row_bytes;
            const double want = sk.vec_dot(n, wr, acts.row(0));
            const double got = vk.vec_dot(n, wr, acts.row(0));
            const RefDot ref = ref_dot(type, wr, sk.act, acts.row(0), n);
            ASSERT_LE(std::fabs(got - ref.dot), kRelTol * ref.mag)
                << dtype_name(type) << " n=" << n << " weights=" << weight_kind_name(wk)
                << " acts=" << act_kind_name(ak) << " row=" << r << " exact=" << ref.dot
                << " got=" << got;
            ASSERT_LE(std::fabs(got - want), kRelTol * ref.mag + std::fabs(want - ref.dot))
                << dtype_name(type) << " n=" << n << " weights=" << weight_kind_name(wk)
                << " acts=" << act_kind_name(ak) << " row=" << r << " want=" << want
                << " got=" << got;
          }
        }
      }
    }
  }
}

// vec_dot_rows (where the ISA has one) against the exact dot and the scalar
// vec_dot of every row, with the same bounds as vec_dot; nothing is written
// beyond out[nr). Row counts cover the 4-row blocks of F16 and their tails.
TEST_P(KernelsTest, VecDotRowsMatchesScalarEveryTypeAndInput) {
  int n_tested = 0;
  for (DType type : kernel_types()) {
    const auto& sk = scalar_table().of(type);
    const auto& vk = simd().of(type);
    if (vk.vec_dot_rows == nullptr) continue;
    ++n_tested;
    for (int64_t n : sizes_for(type, {32, 64, 96, 160, 256, 288, 512, 2048, 5632})) {
      for (int64_t nr : {1, 3, 4, 9}) {
        for (WeightKind wk : weight_kinds()) {
          const auto w = make_weights(type, wk, n, nr, 300 + n + nr);
          const auto row_bytes = static_cast<size_t>(dtype_row_bytes(type, n));
          for (ActKind ak : act_kinds()) {
            const auto acts = make_act_rows(sk.act, make_acts(ak, n, 1, 17 + n), n, 1);
            const float sentinel = 4321.5f;
            std::vector<float> out(static_cast<size_t>(nr) + 4, sentinel);
            vk.vec_dot_rows(n, nr, w.data(), row_bytes, acts.row(0), out.data());
            for (int64_t r = 0; r < nr; ++r) {
              const uint8_t* wr = w.data() + static_cast<size_t>(r) * row_bytes;
              const double want = sk.vec_dot(n, wr, acts.row(0));
              const double got = out[static_cast<size_t>(r)];
              const RefDot ref = ref_dot(type, wr, sk.act, acts.row(0), n);
              // The scalar kernel itself can miss the exact dot by more than
              // kRelTol * mag when dw * da is subnormal (subnormal_scale acts):
              // it rounds that product as every kernel does.
              ASSERT_LE(std::fabs(got - ref.dot), kRelTol * ref.mag + std::fabs(want - ref.dot))
                  << dtype_name(type) << " n=" << n << " nr=" << nr << " r=" << r
                  << " weights=" << weight_kind_name(wk) << " acts=" << act_kind_name(ak)
                  << " exact=" << ref.dot << " got=" << got << " scalar=" << want;
              ASSERT_LE(std::fabs(got - want), kRelTol * ref.mag + std::fabs(want - ref.dot))
                  << dtype_name(type) << " n=" << n << " nr=" << nr << " r=" << r
                  << " weights=" << weight_kind_name(wk) << " acts=" << act_kind_name(ak)
                  << " want=" << want << " got=" << got;
            }
            for (size_t i = static_cast<size_t>(nr); i < out.size(); ++i)
              ASSERT_EQ(out[i], sentinel) << dtype_name(type) << " wrote beyond out[nr)";
          }
        }
      }
    }
  }
  if (n_tested == 0) GTEST_SKIP() << "no vec_dot_rows kernels at " << cpu::isa_name(GetParam());
}

// Runs the ISA's gemm on an nr x nt tile and compares every element with its vec_dot.
void check_gemm(const KernelTable& kt, DType type, int64_t n, int64_t nr, int64_t nt, WeightKind wk,
                ActKind ak) {
  const auto& k = kt.of(type);
  ASSERT_NE(k.gemm, nullptr) << dtype_name(type);
  const auto w = make_weights(type, wk, n, nr, 1000 + n + nr);
  const auto row_bytes = static_cast<size_t>(dtype_row_bytes(type, n));
  const auto acts = make_act_rows(k.act, make_acts(ak, n, nt, 2000 + nt), n, nt);
  const size_t out_stride = static_cast<size_t>(nr) + 3;
  const float sentinel = 1234.5f;
  std::vector<float> out(out_stride * static_cast<size_t>(nt) + 5, sentinel);
  k.gemm(n, nr, nt, w.data(), row_bytes, acts.bytes.data(), acts.stride, out.data(), out_stride);
  for (int64_t t = 0; t < nt; ++t) {
    for (int64_t r = 0; r < nr; ++r) {
      const uint8_t* wr = w.data() + static_cast<size_t>(r) * row_bytes;
      const double want = k.vec_dot(n, wr, acts.row(t));
      const double got = out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)];
      const double tol = kRelTol * ref_dot(type, wr, k.act, acts.row(t), n).mag;
      ASSERT_LE(std::fabs(got - want), tol)
          << dtype_name(type) << " n=" << n << " nr=" << nr << " nt=" << nt
          << " weights=" << weight_kind_name(wk) << " acts=" << act_kind_name(ak) << " r=" << r
          << " t=" << t << " want=" << want << " got=" << got;
    }
    for (size_t c = static_cast<size_t>(nr);
         c < out_stride && static_cast<size_t>(t) * out_stride + c < out.size(); ++c) {
      ASSERT_EQ(out[static_cast<size_t>(t) * out_stride + c], sentinel) << "wrote outside the tile";
    }
  }
}

TEST_P(KernelsTest, GemmMatchesVecDotForTileShapes) {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {
      {16, 64}, {1, 1}, {3, 5}, {7, 13}, {16, 1}, {5, 64}, {16, 17}, {9, 4}, {16, 8}};
  for (DType type : kernel_types()) {
    for (int64_t n : sizes_for(type, {256, 2048})) {
      for (auto [nr, nt] : shapes)
        check_gemm(simd(), type, n, nr, nt, WeightKind::kQuantized, ActKind::kNormal);
    }
    // Partial chunks of legacy types (9 blocks), a large n, and tiles beyond 16 x 256.
    for (int64_t n : sizes_for(type, {288}))
      check_gemm(simd(), type, n, 16, 11, WeightKind::kQuantized, ActKind::kNormal);
    check_gemm(simd(), type, 5632, 16, 12, WeightKind::kQuantized, ActKind::kNormal);
    check_gemm(simd(), type, 256, 35, 300, WeightKind::kQuantized, ActKind::kNormal);
  }
}

TEST_P(KernelsTest, GemmMatchesVecDotOnAdversarialInputs) {
  for (DType type : kernel_types()) {
    for (WeightKind wk : weight_kinds()) {
      for (ActKind ak : act_kinds()) check_gemm(simd(), type, 512, 16, 9, wk, ak);
    }
  }
}

TEST_P(KernelsTest, KvKernelsMatchScalar) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (DType cache : {DType::kF32, DType::kF16}) {
    const auto& sk = scalar_table().kv(cache);
    const auto& vk = simd().kv(cache);
    for (int64_t n : {1, 7, 16, 31, 64, 100, 128, 256}) {
      std::vector<float> row(static_cast<size_t>(n)), q(static_cast<size_t>(n)),
          acc(static_cast<size_t>(n));
      for (auto& v : row) v = nd(rng);
      for (auto& v : q) v = nd(rng);
      for (auto& v : acc) v = nd(rng);
      std::vector<uint16_t> half(static_cast<size_t>(n));
      for (size_t i = 0; i < half.size(); ++i) half[i] = f32_to_f16(row[i]);
      const void* k = cache == DType::kF16 ? static_cast<const void*>(half.data()) : row.data();
      double mag = 0.0;
      for (size_t i = 0; i < q.size(); ++i) {
        const double kv = cache == DType::kF16 ? f16_to_f32(half[i]) : row[i];
        mag += std::fabs(kv * q[i]);
      }
      EXPECT_LE(std::fabs(double{vk.dot(n, k, q.data())} - sk.dot(n, k, q.data())), kRelTol * mag)
          << dtype_name(cache) << " n=" << n;
      auto want = acc, got = acc;
      sk.axpy(n, 0.75f, k, want.data());
      vk.axpy(n, 0.75f, k, got.data());
      for (size_t i = 0; i < acc.size(); ++i) {
        EXPECT_NEAR(got[i], want[i],
                    1e-6 * (std::fabs(acc[i]) + std::fabs(want[i] - acc[i]) + 1e-30))
            << dtype_name(cache) << " n=" << n << " i=" << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SimdIsas, KernelsTest, ::testing::ValuesIn(simd_isas()),
                         [](const ::testing::TestParamInfo<Isa>& info) {
                           return std::string(cpu::isa_name(info.param));
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(KernelsTest);

}  // namespace
}  // namespace impetus::testing
