// Standalone NEON kernel self-test (no gtest: it is cross-compiled for
// AArch64 and run under qemu by scripts/test_neon.sh). Every kernel of the
// NEON table is compared against the scalar reference table of the same
// binary:
//   quantize_q8            bit-exact (ties round half away from zero);
//   vec_dot, gemm, kv dot  |neon - scalar| <= kTol * B, with B = sum_i |w_i a_i|
//                          computed in double from the stored values (for
//                          types with a min/offset, the scale and offset parts
//                          are bounded separately, so cancellation cannot hide
//                          in B);
//   kv axpy                per element, |neon - scalar| <= kTol * (|acc| + |a v|).
// Inputs: random rows, random raw block bytes (every bit pattern of the
// quants and 6-bit scales), saturated quants, exact rounding ties, zeros,
// huge and tiny magnitudes; n in {32, 96, 256, 2048, 5632} and odd lengths
// for the float kernels. Prints "N passed, M failed" last; exits 1 on failure.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/isa.h"
#include "backend/cpu/kernels.h"
#include "core/fp16.h"
#include "tensor/dtype.h"
#include "tensor/quant/blocks.h"
#include "tensor/quant/quant.h"

namespace impetus::cpu {
namespace {

constexpr double kTol = 2e-5;  // relative to B (see above)

struct Stats {
  int passed = 0, failed = 0;
  double worst = 0.0;  // largest error / bound seen among passing checks
  void check(bool ok, const std::string& what) {
    if (ok) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s\n", what.c_str());
    }
  }
  // err/bound within kTol; records the ratio.
  bool close(double got, double want, double bound) {
    const double err = std::fabs(got - want);
    const double ratio = err / std::max(bound, 1e-30);
    if (std::isfinite(got) && std::isfinite(want) && ratio <= kTol) {
      worst = std::max(worst, ratio);
      return true;
    }
    return false;
  }
};

using Rng = std::mt19937_64;

std::vector<float> normals(int64_t n, Rng& rng, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// ---- activations -----------------------------------------------------------

// Float activation rows for the quantize/vec_dot tests, by mode:
// 0 normal, 1 per-block magnitudes 1e-30..1e30, 2 saturated +-1 with a zero
// block, 3 exact rounding ties (amax 127 or 63.5 per block, halves in between).
std::vector<float> act_floats(int64_t n, int mode, Rng& rng) {
  std::vector<float> x = normals(n, rng);
  std::uniform_real_distribution<float> u(-30.0f, 30.0f);
  std::uniform_int_distribution<int> k(-126, 126);
  for (int64_t b = 0; b < n / kActBlock; ++b) {
    float* xb = x.data() + b * kActBlock;
    if (mode == 1) {
      const float s = std::pow(10.0f, u(rng));
      for (int i = 0; i < kActBlock; ++i) xb[i] *= s;
    } else if (mode == 2) {
      for (int i = 0; i < kActBlock; ++i) xb[i] = (b % 5 == 4) ? 0.0f : (xb[i] < 0 ? -1.0f : 1.0f);
      if (b % 7 == 3) xb[5] = -0.0f;
    } else if (mode == 3) {
      const bool half = b % 2 == 1;  // amax 63.5: d = 0.5, id = 2, x.25 -> ties
      for (int i = 0; i < kActBlock; ++i) {
        const float t = static_cast<float>(k(rng)) + 0.5f;  // |t| <= 126.5
        xb[i] = half ? t / 2.0f : t;
      }
      xb[7] = half ? -63.5f : 127.0f;
    }
  }
  return x;
}

std::vector<uint8_t> quantize_act(const KernelTable& kt, const std::vector<float>& x) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> out(act_row_bytes(ActFormat::kQ8, n), 0);
  kt.quantize_q8(x.data(), n, out.data());
  return out;
}

void test_quantize(const KernelTable& s, const KernelTable& v, Stats& st) {
  Rng rng(11);
  for (int64_t n : {32, 256, 2048, 5632}) {
    for (int mode = 0; mode < 4; ++mode) {
      const auto x = act_floats(n, mode, rng);
      const auto a = quantize_act(s, x), b = quantize_act(v, x);
      const size_t used = static_cast<size_t>(n) + 8 * static_cast<size_t>(n / kActBlock);
      st.check(std::memcmp(a.data(), b.data(), used) == 0,
               "quantize_q8 n=" + std::to_string(n) + " mode=" + std::to_string(mode));
    }
  }
}

// ---- weights -----------------------------------------------------------------

struct QuantType {
  DType type;
  std::vector<int> f16_fields;  // byte offsets of f16 scales within a block
  int min_field;                // offset of the f16 min/dmin, or -1
};

const std::vector<QuantType>& quant_types() {
  static const std::vector<QuantType> types = {
      {DType::kQ4_0, {0}, -1},   {DType::kQ4_1, {0, 2}, 2}, {DType::kQ5_0, {0}, -1},
      {DType::kQ5_1, {0, 2}, 2}, {DType::kQ8_0, {0}, -1},   {DType::kQ4_K, {0, 2}, 2},
      {DType::kQ5_K, {0, 2}, 2}, {DType::kQ6_K, {208}, -1},
  };
  return types;
}

// Weight rows of a quantized type, by mode: 0 quantized normals, 1 random
// bytes, 2 all quant bytes 0xff (Q6_K scales -128), 3 all quant bytes 0; the
// f16 scales of modes 1..3 are random finite values of either sign.
std::vector<uint8_t> quant_rows(const QuantType& qt, int64_t n, int64_t rows, int mode, Rng& rng) {
  const int64_t rb = dtype_row_bytes(qt.type, n), bs = dtype_type_size(qt.type);
  std::vector<uint8_t> w(static_cast<size_t>(rb * rows));
  if (mode == 0) {
    for (int64_t r = 0; r < rows; ++r) {
      const auto x = normals(n, rng);
      quantize_row(qt.type, x.data(), w.data() + r * rb, n);
    }
    return w;
  }
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> e(-10.0f, 3.0f);
  for (auto& b : w) b = mode == 1 ? static_cast<uint8_t>(byte(rng)) : (mode == 2 ? 0xff : 0x00);
  for (size_t off = 0; off < w.size(); off += static_cast<size_t>(bs)) {
    if (mode == 2 && qt.type == DType::kQ6_K) std::memset(&w[off + 192], 0x80, 16);
    for (int f : qt.f16_fields) {
      const float mag = std::exp2(e(rng)) * (byte(rng) & 1 ? -1.0f : 1.0f);
      const uint16_t h = f32_to_f16(mag);
      std::memcpy(&w[off + static_cast<size_t>(f)], &h, 2);
    }
  }
  return w;
}

// B for one quantized row: sum |scale part * a| + sum |offset part * a|, the
// parts found by dequantizing the row with and without its mins.
double quant_bound(const QuantType& qt, const uint8_t* w, const uint8_t* act, int64_t n) {
  std::vector<float> full(static_cast<size_t>(n)), scaled(static_cast<size_t>(n));
  dequantize_row(qt.type, w, full.data(), n);
  std::vector<uint8_t> nomin(w, w + dtype_row_bytes(qt.type, n));
  if (qt.min_field >= 0) {
    for (size_t off = 0; off < nomin.size(); off += static_cast<size_t>(dtype_type_size(qt.type))) {
      nomin[off + static_cast<size_t>(qt.min_field)] = 0;
      nomin[off + static_cast<size_t>(qt.min_field) + 1] = 0;
    }
  }
  dequantize_row(qt.type, nomin.data(), scaled.data(), n);
  const int8_t* qa = act_q8_qs(act);
  const float* da = act_q8_d(act, n);
  double b = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double a = static_cast<double>(qa[i]) * da[i / kActBlock];
    b += std::fabs(scaled[i] * a) + std::fabs((full[i] - static_cast<double>(scaled[i])) * a);
  }
  return b;
}

// Float weight rows (F32/F16/BF16 stored bytes) by mode: 0 normals, 1 random
// bit patterns with exponents limited to 2^+-40 (F16: any finite), 2 values
// that cancel pairwise against act_float_rows mode 2.
std::vector<uint8_t> float_rows(DType t, int64_t n, int64_t rows, int mode, Rng& rng) {
  const size_t es = t == DType::kF32 ? 4 : 2;
  std::vector<uint8_t> w(static_cast<size_t>(n * rows) * es);
  std::uniform_int_distribution<uint32_t> bits;
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (size_t i = 0; i < static_cast<size_t>(n * rows); ++i) {
    float f = mode == 2 ? static_cast<float>(i / 2 % 17) - 8.0f : nd(rng);
    if (mode == 1) {
      const uint32_t r = bits(rng);
      const int exp = 127 + static_cast<int>(r % 81) - 40;
      f = bits_to_f32((r & 0x807fffffu) | (static_cast<uint32_t>(exp) << 23));
    }
    if (t == DType::kF32) {
      std::memcpy(&w[i * 4], &f, 4);
    } else {
      uint16_t h = t == DType::kF16 ? f32_to_f16(f) : f32_to_bf16(f);
      if (t == DType::kF16 && mode == 1)
        h = static_cast<uint16_t>(bits(rng) % 0x7c00u | (h & 0x8000u));
      std::memcpy(&w[i * 2], &h, 2);
    }
  }
  return w;
}

float stored_float(DType t, const uint8_t* w, int64_t i) {
  uint16_t h;
  if (t == DType::kF32) {
    float f;
    std::memcpy(&f, w + 4 * i, 4);
    return f;
  }
  std::memcpy(&h, w + 2 * i, 2);
  return t == DType::kF16 ? f16_to_f32(h) : bf16_to_f32(h);
}

std::vector<float> act_float_rows(int64_t n, int64_t rows, int mode, Rng& rng) {
  auto a = normals(n * rows, rng);
  if (mode == 1) {
    std::uniform_real_distribution<float> u(-8.0f, 8.0f);
    for (auto& x : a) x *= std::exp2(u(rng));
  } else if (mode == 2) {
    for (size_t i = 0; i < a.size(); ++i)
      a[i] = (i % 2 ? -1.0f : 1.0f) * (static_cast<float>(i / 2 % 13) + 1.0f);
  }
  return a;
}

double float_bound(DType t, const uint8_t* w, const float* a, int64_t n) {
  double b = 0.0;
  for (int64_t i = 0; i < n; ++i) b += std::fabs(static_cast<double>(stored_float(t, w, i)) * a[i]);
  return b;
}

std::string label(const char* what, DType t, int64_t n, int mode) {
  return std::string(what) + " " + std::string(dtype_name(t)) + " n=" + std::to_string(n) +
         " mode=" + std::to_string(mode);
}

// ---- vec_dot ---------------------------------------------------------------

void test_vec_dot(const KernelTable& s, const KernelTable& v, Stats& st) {
  Rng rng(21);
  for (const auto& qt : quant_types()) {
    const bool k = dtype_block_size(qt.type) == kQK_K;
    for (int64_t n : k ? std::vector<int64_t>{256, 2048, 5632}
                       : std::vector<int64_t>{32, 96, 256, 2048, 5632}) {
      for (int wm = 0; wm < 4; ++wm) {
        for (int am = 0; am < 3; ++am) {
          const auto w = quant_rows(qt, n, 1, wm, rng);
          const auto act = quantize_act(s, act_floats(n, am, rng));
          const double want = s.of(qt.type).vec_dot(n, w.data(), act.data());
          const double got = v.of(qt.type).vec_dot(n, w.data(), act.data());
          const double b = quant_bound(qt, w.data(), act.data(), n);
          st.check(st.close(got, want, b), label("vec_dot", qt.type, n, wm * 10 + am) + " got " +
                                               std::to_string(got) + " want " +
                                               std::to_string(want));
        }
      }
    }
  }
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (int64_t n : {1, 7, 33, 256, 1000, 2048, 4099, 5632}) {
      for (int mode = 0; mode < 3; ++mode) {
        const auto w = float_rows(t, n, 1, mode, rng);
        const auto a = act_float_rows(n, 1, mode, rng);
        const double want = s.of(t).vec_dot(n, w.data(), a.data());
        const double got = v.of(t).vec_dot(n, w.data(), a.data());
        st.check(st.close(got, want, float_bound(t, w.data(), a.data(), n)),
                 label("vec_dot", t, n, mode) + " got " + std::to_string(got) + " want " +
                     std::to_string(want));
      }
    }
  }
}

// ---- gemm ------------------------------------------------------------------

// One tile (nr rows x nt tokens, padded strides) against the scalar vec_dot
// of every (row, token); cells outside the tile must keep their sentinel.
void check_tile(const KernelTable& s, const KernelTable& v, DType t, int64_t n, int64_t nr,
                int64_t nt, int mode, Rng& rng, Stats& st) {
  const bool q = s.of(t).act == ActFormat::kQ8;
  const size_t w_stride = static_cast<size_t>(dtype_row_bytes(t, n)) + 48;
  std::vector<uint8_t> w(w_stride * static_cast<size_t>(nr));
  for (int64_t r = 0; r < nr; ++r) {
    std::vector<uint8_t> row;
    if (q) {
      for (const auto& qt : quant_types()) {
        if (qt.type == t) row = quant_rows(qt, n, 1, mode, rng);
      }
    } else {
      row = float_rows(t, n, 1, mode, rng);
    }
    std::memcpy(&w[r * w_stride], row.data(), row.size());
  }
  const size_t act_stride = act_row_bytes(q ? ActFormat::kQ8 : ActFormat::kF32, n) + 64;
  std::vector<uint8_t> act(act_stride * static_cast<size_t>(nt));
  for (int64_t j = 0; j < nt; ++j) {
    if (q) {
      const auto a = quantize_act(s, act_floats(n, mode % 3, rng));
      std::memcpy(&act[j * act_stride], a.data(), a.size());
    } else {
      const auto a = act_float_rows(n, 1, mode, rng);
      std::memcpy(&act[j * act_stride], a.data(), a.size() * 4);
    }
  }
  const size_t out_stride = static_cast<size_t>(nr) + 3;
  const float sentinel = -12345.0f;
  std::vector<float> out(out_stride * static_cast<size_t>(nt) + 5, sentinel);
  v.of(t).gemm(n, nr, nt, w.data(), w_stride, act.data(), act_stride, out.data(), out_stride);
  bool ok = true;
  for (int64_t j = 0; j < nt && ok; ++j) {
    for (size_t c = 0; c < out_stride && ok; ++c) {
      const float got = out[j * out_stride + c];
      if (c >= static_cast<size_t>(nr)) {
        ok = got == sentinel;
        continue;
      }
      const uint8_t* wr = &w[c * w_stride];
      const uint8_t* ar = &act[j * act_stride];
      const double want = s.of(t).vec_dot(n, wr, ar);
      double b = 0.0;
      if (q) {
        for (const auto& qt : quant_types()) {
          if (qt.type == t) b = quant_bound(qt, wr, ar, n);
        }
      } else {
        b = float_bound(t, wr, reinterpret_cast<const float*>(ar), n);
      }
      ok = st.close(got, want, b);
    }
  }
  for (size_t i = out_stride * static_cast<size_t>(nt); i < out.size(); ++i)
    ok = ok && out[i] == sentinel;
  st.check(ok,
           label("gemm", t, n, mode) + " nr=" + std::to_string(nr) + " nt=" + std::to_string(nt));
}

void test_gemm(const KernelTable& s, const KernelTable& v, Stats& st) {
  Rng rng(31);
  const int64_t tiles[][2] = {{1, 1}, {3, 2}, {4, 4}, {5, 7}, {16, 64}, {17, 66}};
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                  DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    const bool k = dtype_block_size(t) == kQK_K;
    const bool f = !dtype_info(t).is_quantized;
    for (const auto& tile : tiles) {
      for (int64_t n : {k ? int64_t{256} : int64_t{96}, int64_t{2048}}) {
        check_tile(s, v, t, n, tile[0], tile[1], static_cast<int>(tile[0] % 3), rng, st);
      }
    }
    check_tile(s, v, t, f ? 5635 : (k ? 5632 : 2080), 5, 6, 1, rng, st);  // long / partial chunk
  }
}

// ---- kv --------------------------------------------------------------------

void test_kv(const KernelTable& s, const KernelTable& v, Stats& st) {
  Rng rng(41);
  for (DType t : {DType::kF32, DType::kF16}) {
    for (int64_t n : {1, 7, 64, 80, 128, 256, 2048}) {
      for (int mode = 0; mode < 3; ++mode) {
        const auto k = float_rows(t, n, 1, mode, rng);
        const auto q = act_float_rows(n, 1, mode, rng);
        const double want = s.kv(t).dot(n, k.data(), q.data());
        const double got = v.kv(t).dot(n, k.data(), q.data());
        st.check(st.close(got, want, float_bound(t, k.data(), q.data(), n)),
                 label("kv_dot", t, n, mode));
        std::vector<float> acc_s = act_float_rows(n, 1, 0, rng), acc_v = acc_s;
        const float a = mode == 1 ? -3.7e-3f : 0.8125f;
        s.kv(t).axpy(n, a, k.data(), acc_s.data());
        v.kv(t).axpy(n, a, k.data(), acc_v.data());
        bool ok = true;
        for (int64_t i = 0; i < n && ok; ++i) {
          const double b = std::fabs(acc_s[i]) + std::fabs(a * stored_float(t, k.data(), i));
          ok = st.close(acc_v[i], acc_s[i], b);
        }
        st.check(ok, label("kv_axpy", t, n, mode));
      }
    }
  }
}

// The NEON table must be detected, and must replace every kernel it claims.
bool test_table(const KernelTable& s, const KernelTable& v, Stats& st) {
  st.check(v.isa == Isa::kNeon, "table isa is neon");
  st.check(v.quantize_q8 != s.quantize_q8, "quantize_q8 overridden");
  st.check(v.kv_f32.dot != s.kv_f32.dot && v.kv_f16.axpy != s.kv_f16.axpy, "kv overridden");
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0,
                  DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    const bool ok =
        v.of(t).vec_dot != s.of(t).vec_dot && v.of(t).gemm != nullptr && v.of(t).act == s.of(t).act;
    st.check(ok, std::string("kernels overridden for ") + std::string(dtype_name(t)));
  }
  return st.failed == 0;
}

int run() {
  Stats st;
  std::printf("cpu features: %s\n", cpu_features_string().c_str());
  bool neon = false;
  for (Isa i : supported_isas()) neon |= i == Isa::kNeon;
  st.check(neon, "runtime detection reports neon+dotprod (run qemu with -cpu max)");
  if (neon) {
    const KernelTable& s = kernel_table(Isa::kScalar);
    const KernelTable& v = kernel_table(Isa::kNeon);
    if (test_table(s, v, st)) {
      test_quantize(s, v, st);
      test_vec_dot(s, v, st);
      test_gemm(s, v, st);
      test_kv(s, v, st);
    }
  }
  std::printf("tolerance %.1e, worst passing error/bound %.2e\n", kTol, st.worst);
  std::printf("%d passed, %d failed\n", st.passed, st.failed);
  return st.failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace impetus::cpu

int main() { return impetus::cpu::run(); }
