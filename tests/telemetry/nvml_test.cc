// NVML through dlopen: absent or wrong libraries give "no GPUs" (null), a
// fake libnvidia-ml built here with the C compiler exercises every call and
// field, and on a machine with an NVIDIA GPU the real library is checked
// for sane values (skipped elsewhere).
#include "telemetry/nvml.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "telemetry/hardware.h"
#include "testing/paths.h"

namespace impetus::telemetry {
namespace {

// Two fake GPUs; FAKE_NVML_COUNT and FAKE_NVML_INIT_FAIL steer it. Device
// handles are the index + 1. Signatures follow the public NVML API.
constexpr const char* kFakeNvml = R"C(
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
typedef struct { unsigned long long total, free, used; } Memory;
typedef struct { unsigned int gpu, memory; } Utilization;
#define IDX(d) ((int)(uintptr_t)(d) - 1)
int nvmlInit_v2(void) { return getenv("FAKE_NVML_INIT_FAIL") ? 9 : 0; }
int nvmlShutdown(void) { return 0; }
const char* nvmlErrorString(int r) { return r == 9 ? "Driver Not Loaded" : "Unknown Error"; }
int nvmlSystemGetDriverVersion(char* v, unsigned n) { snprintf(v, n, "999.12.3"); return 0; }
int nvmlDeviceGetCount_v2(unsigned* n) { const char* c = getenv("FAKE_NVML_COUNT"); *n = c ? (unsigned)atoi(c) : 2; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned i, void** d) { *d = (void*)(uintptr_t)(i + 1); return 0; }
int nvmlDeviceGetName(void* d, char* s, unsigned n) { snprintf(s, n, "Fake GPU %d", IDX(d)); return 0; }
int nvmlDeviceGetUUID(void* d, char* s, unsigned n) { snprintf(s, n, "GPU-fake-%d", IDX(d)); return 0; }
int nvmlDeviceGetMemoryInfo(void* d, Memory* m) {
  m->total = 80ull << 30; m->used = (unsigned long long)(IDX(d) + 1) << 30; m->free = m->total - m->used; return 0; }
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } MemoryV2;
int nvmlDeviceGetMemoryInfo_v2(void* d, MemoryV2* m) {
  if (getenv("FAKE_NVML_NO_V2")) return 3;
  if (m->version != (unsigned)(sizeof(MemoryV2) | (2u << 24))) return 2;
  m->total = 80ull << 30; m->reserved = 256ull << 20;
  m->used = ((unsigned long long)(IDX(d) + 1) << 30) - m->reserved; m->free = m->total - m->used - m->reserved;
  return 0; }
int nvmlDeviceGetUtilizationRates(void* d, Utilization* u) { u->gpu = 40 + 10 * IDX(d); u->memory = 25; return 0; }
int nvmlDeviceGetTemperature(void* d, int sensor, unsigned* t) { if (sensor != 0) return 2; *t = 65 + IDX(d); return 0; }
int nvmlDeviceGetTemperatureThreshold(void* d, int which, unsigned* t) {
  (void)d; if (which > 1) return 3; *t = which == 1 ? 87 : 92; return 0; }
int nvmlDeviceGetPowerUsage(void* d, unsigned* p) { *p = 250500 + 1000 * IDX(d); return 0; }
int nvmlDeviceGetEnforcedPowerLimit(void* d, unsigned* p) { (void)d; *p = 700000; return 0; }
int nvmlDeviceGetNumGpuCores(void* d, unsigned* n) { (void)d; *n = 16896; return 0; }
int nvmlDeviceGetClockInfo(void* d, int type, unsigned* c) {
  (void)d; *c = type == 0 ? 1755 : type == 1 ? 1740 : type == 2 ? 2619 : 0; return 0; }
int nvmlDeviceGetMaxClockInfo(void* d, int type, unsigned* c) { (void)d; *c = type == 0 ? 1980 : 2619; return 0; }
int nvmlDeviceGetCurrentClocksThrottleReasons(void* d, unsigned long long* r) { *r = IDX(d) == 1 ? 0x44 : 0x1; return 0; }
int nvmlDeviceGetCudaComputeCapability(void* d, int* a, int* b) { (void)d; *a = 9; *b = 0; return 0; }
)C";

// Builds the fake library once per test run; "" if no C compiler.
std::string fake_nvml_library() {
  static const std::string path = [] {
    const std::string dir = testing::scratch_dir("telemetry_nvml");
    const std::string src = dir + "/fake_nvml.c", lib = dir + "/libfake-nvidia-ml.so";
    std::ofstream(src) << kFakeNvml;
    const std::string cmd = "cc -shared -fPIC -o " + lib + " " + src + " > /dev/null 2>&1";
    return std::system(cmd.c_str()) == 0 ? lib : std::string();
  }();
  return path;
}

TEST(Nvml, AbsentLibraryMeansNoGpus) {
  EXPECT_EQ(Nvml::load("libnvidia-ml-does-not-exist.so.1"), nullptr);
  EXPECT_EQ(Nvml::load("/nonexistent/dir/libnvidia-ml.so.1"), nullptr);
}

TEST(Nvml, LibraryWithoutNvmlSymbolsIsRejected) {
  EXPECT_EQ(Nvml::load("libm.so.6"), nullptr);
}

TEST(Nvml, DetectionWithoutNvmlHasNoGpus) {
  HardwareInfo hw = detect_hardware({}, nullptr);
  EXPECT_TRUE(hw.gpus.empty());
  EXPECT_EQ(hw.gpu_driver_version, "");
}

TEST(Nvml, FakeLibraryEveryField) {
  const std::string lib = fake_nvml_library();
  if (lib.empty()) GTEST_SKIP() << "no C compiler (cc) to build the fake libnvidia-ml";
  auto nvml = Nvml::load(lib);
  ASSERT_NE(nvml, nullptr);
  EXPECT_EQ(nvml->device_count(), 2);
  EXPECT_EQ(nvml->driver_version(), "999.12.3");

  auto gpus = nvml->describe();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[1].index, 1);
  EXPECT_EQ(gpus[1].name, "Fake GPU 1");
  EXPECT_EQ(gpus[1].uuid, "GPU-fake-1");
  EXPECT_EQ(gpus[0].memory_total_bytes, 80ull << 30);
  EXPECT_EQ(gpus[0].compute_capability_major, 9);
  EXPECT_EQ(gpus[0].compute_capability_minor, 0);
  EXPECT_EQ(gpus[0].n_cuda_cores, 16896);
  EXPECT_EQ(gpus[0].sm_count, 132);  // no nvmlDeviceGetAttributes_v2: 16896 cores / 128 per SM (sm_90)
  EXPECT_DOUBLE_EQ(gpus[0].power_limit_w, 700.0);
  EXPECT_EQ(gpus[0].max_graphics_clock_mhz, 1980);
  EXPECT_EQ(gpus[0].max_memory_clock_mhz, 2619);
  EXPECT_DOUBLE_EQ(gpus[0].slowdown_temperature_c, 87.0);
  EXPECT_DOUBLE_EQ(gpus[0].shutdown_temperature_c, 92.0);

  auto samples = nvml->sample();
  ASSERT_EQ(samples.size(), 2u);
  const GpuSample& g = samples[1];
  EXPECT_EQ(g.index, 1);
  EXPECT_DOUBLE_EQ(g.utilization_percent, 50.0);
  EXPECT_DOUBLE_EQ(g.memory_utilization_percent, 25.0);
  // nvmlDeviceGetMemoryInfo_v2: used without the driver's reserved memory (as nvidia-smi shows it).
  EXPECT_EQ(g.memory_used_bytes, (2ull << 30) - (256ull << 20));
  EXPECT_EQ(g.memory_total_bytes, 80ull << 30);
  ::setenv("FAKE_NVML_NO_V2", "1", 1);  // an older driver: the v1 call, reserved memory counted as used
  EXPECT_EQ(nvml->sample()[1].memory_used_bytes, 2ull << 30);
  ::unsetenv("FAKE_NVML_NO_V2");
  EXPECT_DOUBLE_EQ(g.temperature_c, 66.0);
  EXPECT_DOUBLE_EQ(g.power_w, 251.5);
  EXPECT_DOUBLE_EQ(g.power_limit_w, 700.0);
  EXPECT_EQ(g.graphics_clock_mhz, 1755);
  EXPECT_EQ(g.sm_clock_mhz, 1740);
  EXPECT_EQ(g.memory_clock_mhz, 2619);
  EXPECT_EQ(g.throttle_reasons, 0x44u);
  EXPECT_TRUE(throttle_is_hw_slowdown(g.throttle_reasons));
  EXPECT_FALSE(throttle_is_hw_slowdown(samples[0].throttle_reasons));  // gpu_idle only

  HardwareInfo hw = detect_hardware({}, nvml.get());
  ASSERT_EQ(hw.gpus.size(), 2u);
  EXPECT_EQ(hw.gpu_driver_version, "999.12.3");
  EXPECT_NE(fingerprint_source(hw).find("gpus=Fake GPU 0,Fake GPU 1"), std::string::npos);
}

TEST(Nvml, FakeLibraryWithoutGpusOrDriverIsNull) {
  const std::string lib = fake_nvml_library();
  if (lib.empty()) GTEST_SKIP() << "no C compiler (cc) to build the fake libnvidia-ml";
  ::setenv("FAKE_NVML_COUNT", "0", 1);
  EXPECT_EQ(Nvml::load(lib), nullptr);
  ::unsetenv("FAKE_NVML_COUNT");
  ::setenv("FAKE_NVML_INIT_FAIL", "1", 1);
  EXPECT_EQ(Nvml::load(lib), nullptr);
  ::unsetenv("FAKE_NVML_INIT_FAIL");
  EXPECT_NE(Nvml::load(lib), nullptr);
}

TEST(Nvml, ThrottleReasonNames) {
  EXPECT_TRUE(throttle_reason_names(0).empty());
  EXPECT_EQ(throttle_reason_names(0x1), std::vector<std::string>{"gpu_idle"});
  EXPECT_EQ(throttle_reason_names(0x24), (std::vector<std::string>{"sw_power_cap", "sw_thermal_slowdown"}));
  EXPECT_EQ(throttle_reason_names(0x80 | 0x1000),
            (std::vector<std::string>{"hw_power_brake_slowdown", "0x1000"}));
  EXPECT_TRUE(throttle_is_sw_thermal(0x20));
  EXPECT_FALSE(throttle_is_sw_thermal(0x40));
  EXPECT_TRUE(throttle_is_hw_slowdown(0x8));
  EXPECT_TRUE(throttle_is_hw_slowdown(0x80));
}

// The real driver, where there is one.
TEST(Nvml, RealGpuIfPresent) {
  auto nvml = Nvml::load();
  if (!nvml) GTEST_SKIP() << "libnvidia-ml.so.1 not loadable or no NVIDIA GPU: GPU telemetry not tested here";
  EXPECT_FALSE(nvml->driver_version().empty());
  auto gpus = nvml->describe();
  ASSERT_EQ(static_cast<int>(gpus.size()), nvml->device_count());
  for (const auto& d : gpus) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.memory_total_bytes, 1ull << 30);
    EXPECT_GE(d.compute_capability_major, 3);
    EXPECT_GT(d.sm_count, 0) << d.name << ": " << d.n_cuda_cores << " cores";
    EXPECT_GT(d.power_limit_w, 10.0);
    EXPECT_GT(d.max_graphics_clock_mhz, 100);
    std::printf("GPU %d: %s, %.1f GiB, sm_%d%d, %d SMs, %d cores, %.0f W limit, slowdown %.0f C\n", d.index,
                d.name.c_str(), d.memory_total_bytes / 1073741824.0, d.compute_capability_major,
                d.compute_capability_minor, d.sm_count, d.n_cuda_cores, d.power_limit_w, d.slowdown_temperature_c);
  }
  for (const auto& s : nvml->sample()) {
    EXPECT_GE(s.utilization_percent, 0.0);
    EXPECT_LE(s.utilization_percent, 100.0);
    EXPECT_GT(s.memory_used_bytes, 0u);
    EXPECT_LE(s.memory_used_bytes, s.memory_total_bytes);
    EXPECT_GT(s.temperature_c, 5.0);
    EXPECT_LT(s.temperature_c, 110.0);
    EXPECT_GT(s.power_w, 1.0);
    EXPECT_GT(s.memory_clock_mhz, 0);
    std::printf("GPU %d now: %.0f%% busy, %.0f C, %.1f W, %d/%d MHz, throttle 0x%llx\n", s.index,
                s.utilization_percent, s.temperature_c, s.power_w, s.graphics_clock_mhz, s.memory_clock_mhz,
                static_cast<unsigned long long>(s.throttle_reasons));
  }
}

}  // namespace
}  // namespace impetus::telemetry
