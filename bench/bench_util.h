// Shared setup of the micro-benchmarks: seeded random rows in any weight
// type, activations in a kernel table's format, and names for registration.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/kernels.h"
#include "tensor/dtype.h"
#include "tensor/quant/quant.h"

namespace impetus::bench {

// The weight types that have matrix kernels, in table order.
inline const std::vector<DType>& bench_types() {
  static const std::vector<DType> types = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0,
                                           DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0,
                                           DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};
  return types;
}

inline std::vector<float> random_floats(int64_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// n_rows random rows of n elements stored as `type`.
inline std::vector<uint8_t> random_weights(DType type, int64_t n, int64_t n_rows, uint64_t seed) {
  const int64_t rb = dtype_row_bytes(type, n);
  std::vector<uint8_t> w(static_cast<size_t>(rb * n_rows));
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto v = random_floats(n, seed + static_cast<uint64_t>(r), 0.02f);
    quantize_row(type, v.data(), w.data() + r * rb, n);
  }
  return w;
}

// n_rows random activation rows of n elements in `type`'s activation format
// for table `kt`, each act_row_bytes() apart.
inline std::vector<uint8_t> random_acts(const cpu::KernelTable& kt, DType type, int64_t n,
                                        int64_t n_rows, uint64_t seed) {
  const cpu::ActFormat fmt = kt.of(type).act;
  const size_t stride = cpu::act_row_bytes(fmt, n);
  std::vector<uint8_t> a(stride * static_cast<size_t>(n_rows));
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto v = random_floats(n, seed + 1000 + static_cast<uint64_t>(r));
    uint8_t* dst = a.data() + stride * static_cast<size_t>(r);
    if (fmt == cpu::ActFormat::kQ8) {
      kt.quantize_q8(v.data(), n, dst);
    } else {
      std::memcpy(dst, v.data(), v.size() * sizeof(float));
    }
  }
  return a;
}

inline std::string type_label(DType t) { return std::string(dtype_name(t)); }

}  // namespace impetus::bench
