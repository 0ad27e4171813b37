// WeightArena (backend/cpu/weight_arena.h) and CpuBackend::upload_weight:
// copies are byte-identical, 64-byte aligned and do not overlap; the in-place
// mode (the default) returns the host pointer itself; IMPETUS_CPU_WEIGHTS=copy
// asks for copies.
#include "backend/cpu/weight_arena.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <numeric>
#include <vector>

#include "backend/cpu/cpu_backend.h"

namespace impetus::testing {
namespace {

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

TEST(WeightArena, CopiesAreExactAlignedAndDisjoint) {
  cpu::WeightArena arena;
  std::vector<std::vector<uint8_t>> src;
  std::vector<uint8_t*> dst;
  for (size_t n : {1, 63, 64, 65, 4096, 3 << 20, 100}) {
    src.push_back(pattern(n, static_cast<uint8_t>(n)));
    auto p = arena.copy(src.back().data(), n);
    ASSERT_TRUE(p.ok()) << p.status().message();
    dst.push_back(static_cast<uint8_t*>(*p));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(dst.back()) % 64, 0u) << "n=" << n;
  }
  // Later copies must not have overwritten earlier ones.
  for (size_t i = 0; i < src.size(); ++i) {
    EXPECT_EQ(0, std::memcmp(dst[i], src[i].data(), src[i].size())) << "copy " << i;
  }
  EXPECT_GE(arena.bytes_used(),
            std::accumulate(src.begin(), src.end(), size_t{0},
                            [](size_t a, const auto& v) { return a + v.size(); }));
}

TEST(WeightArena, EnvironmentPicksTheMode) {
  const char* old = std::getenv("IMPETUS_CPU_WEIGHTS");
  const std::string saved = old ? old : "";
  unsetenv("IMPETUS_CPU_WEIGHTS");
  EXPECT_FALSE(cpu::WeightArena::enabled_by_default());  // in place unless asked
  setenv("IMPETUS_CPU_WEIGHTS", "mmap", 1);
  EXPECT_FALSE(cpu::WeightArena::enabled_by_default());
  setenv("IMPETUS_CPU_WEIGHTS", "copy", 1);
  EXPECT_TRUE(cpu::WeightArena::enabled_by_default());
  if (old) {
    setenv("IMPETUS_CPU_WEIGHTS", saved.c_str(), 1);
  } else {
    unsetenv("IMPETUS_CPU_WEIGHTS");
  }
}

TEST(CpuBackendWeights, UploadCopiesOrViewsAsConfigured) {
  const auto host = pattern(2048 * 2, 3);  // 2048 F16 values
  const TensorView view{DType::kF16, {2048, 1, 1, 1}, host.data()};
  CpuBackendOptions copy_opts;
  copy_opts.n_threads = 1;
  copy_opts.copy_weights = true;
  CpuBackend copying(copy_opts);
  auto t = copying.upload_weight(view);
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->data, host.data());
  EXPECT_EQ(0, std::memcmp(t->data, host.data(), host.size()));

  CpuBackendOptions view_opts;
  view_opts.n_threads = 1;
  view_opts.copy_weights = false;
  CpuBackend viewing(view_opts);
  auto v = viewing.upload_weight(view);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->data, host.data());
}

}  // namespace
}  // namespace impetus::testing
