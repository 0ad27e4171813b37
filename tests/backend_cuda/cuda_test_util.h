// Helpers of the CUDA backend tests: skipping without a GPU (every test
// calls IMP_REQUIRE_CUDA() first and is skipped with "no CUDA device" when
// cudaGetDeviceCount finds none, as on CI), the backends compared (CUDA,
// and the CPU's scalar reference kernels), and random data.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_backend.h"

#define IMP_REQUIRE_CUDA()                                                   \
  do {                                                                       \
    if (::impetus::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

namespace impetus::testing {

inline std::unique_ptr<CudaBackend> make_cuda(bool graphs = true, bool fuse = true) {
  CudaBackendOptions o;
  o.graphs = graphs;
  o.fuse = fuse;
  auto be = CudaBackend::create(o);
  EXPECT_TRUE(be.ok()) << be.status().to_string();
  return be.ok() ? std::move(*be) : nullptr;
}

inline std::unique_ptr<CpuBackend> make_cpu_scalar() {
  return std::make_unique<CpuBackend>(CpuBackendOptions{2, cpu::Isa::kScalar});
}

inline std::vector<float> random_floats(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace impetus::testing
