// Hardware detection on the machine running the tests (values only checked
// for sanity, and against sysconf / sched_getaffinity), and the fingerprint.
#include "telemetry/hardware.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>

#include <gtest/gtest.h>

namespace impetus::telemetry {
namespace {

TEST(Hardware, DetectsThisMachine) {
  HardwareInfo hw = detect_hardware({.isa_features = "avx2 fma"}, nullptr);
  EXPECT_FALSE(hw.cpu.model.empty());
  EXPECT_NE(hw.cpu.model, "unknown");
  EXPECT_GE(hw.cpu.n_physical_cores, 1);
  EXPECT_GE(hw.cpu.n_logical_cpus, hw.cpu.n_physical_cores);
  EXPECT_EQ(hw.cpu.n_logical_cpus, static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)));
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(hw.cpu.n_usable_cpus, CPU_COUNT(&set));
  EXPECT_EQ(hw.cpu.features, "avx2 fma");
  EXPECT_FALSE(hw.cpu.architecture.empty());
  // RAM agrees with sysconf to within a page per GiB (MemTotal is what the kernel manages).
  const uint64_t pages = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  EXPECT_GT(hw.memory_total_bytes, 0u);
  EXPECT_NEAR(static_cast<double>(hw.memory_total_bytes), static_cast<double>(pages), pages * 0.01);
  EXPECT_EQ(hw.platform, "Linux");
  EXPECT_FALSE(hw.platform_version.empty());
  EXPECT_EQ(hw.fingerprint.size(), 16u);
  EXPECT_EQ(hw.fingerprint, hardware_fingerprint(hw));
  EXPECT_FALSE(hw.memory_bandwidth);  // only probed by Telemetry
}

TEST(Hardware, CachesWhereTheKernelListsThem) {
  HardwareInfo hw = detect_hardware({}, nullptr);
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  const long l1d = sysconf(_SC_LEVEL1_DCACHE_SIZE);
  if (l1d > 0 && hw.cpu.l1d_bytes > 0) {
    EXPECT_EQ(hw.cpu.l1d_bytes, static_cast<uint64_t>(l1d));
  }
#endif
  for (const CacheLevel& c : hw.cpu.caches) {
    EXPECT_GE(c.level, 1);
    EXPECT_LE(c.level, 4);
    EXPECT_GE(c.size_bytes, 1024u);
  }
}

HardwareInfo sample_hw() {
  HardwareInfo hw;
  hw.cpu.model = "AMD EPYC 9654 96-Core Processor";
  hw.cpu.n_physical_cores = 96;
  hw.cpu.n_logical_cpus = 192;
  hw.memory_total_bytes = (uint64_t{384} << 30) - (uint64_t{3} << 30) / 2;  // 382.5 GiB -> 383
  hw.gpus.resize(2);
  hw.gpus[0].name = "NVIDIA H100 80GB HBM3";
  hw.gpus[1].name = "NVIDIA H100 80GB HBM3";
  return hw;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

TEST(Hardware, FingerprintIsStableAndOnlyCoversIdentity) {
  // The reference hash against published FNV-1a 64 test vectors first.
  ASSERT_EQ(fnv1a(""), 0xcbf29ce484222325ull);
  ASSERT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  ASSERT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
  HardwareInfo hw = sample_hw();
  EXPECT_EQ(fingerprint_source(hw),
            "cpu=AMD EPYC 9654 96-Core Processor;cores=96/192;ram_gib=383;gpus=NVIDIA H100 80GB HBM3,NVIDIA H100 "
            "80GB HBM3");
  char expected[17];
  std::snprintf(expected, sizeof(expected), "%016llx", static_cast<unsigned long long>(fnv1a(fingerprint_source(hw))));
  EXPECT_EQ(hardware_fingerprint(hw), expected);

  // Things that vary between runs on one machine do not change it...
  HardwareInfo other = hw;
  other.cpu.frequency_mhz = 3700;
  other.hostname = "elsewhere";
  other.platform_version = "6.9";
  other.memory_total_bytes += 100u << 20;  // MemTotal wobbles by a few MiB between kernels
  other.cpu.features = "different";
  EXPECT_EQ(hardware_fingerprint(other), hardware_fingerprint(hw));
  // ...but the hardware does.
  other = hw;
  other.gpus.pop_back();
  EXPECT_NE(hardware_fingerprint(other), hardware_fingerprint(hw));
  other = hw;
  other.cpu.n_physical_cores = 48;
  EXPECT_NE(hardware_fingerprint(other), hardware_fingerprint(hw));
  other = hw;
  other.memory_total_bytes = uint64_t{768} << 30;
  EXPECT_NE(hardware_fingerprint(other), hardware_fingerprint(hw));
}

}  // namespace
}  // namespace impetus::telemetry
