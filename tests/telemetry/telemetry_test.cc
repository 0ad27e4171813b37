// The Telemetry facade with scripted sources: the bandwidth probe reads the
// cache, measures and caches when the machine is quiet, and measures
// without caching when it is busy; start/stop and listeners pass through.
#include "telemetry/telemetry.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "telemetry/bandwidth_cache.h"
#include "testing/paths.h"

namespace impetus::telemetry {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FixedLoad : public SampleSource {
 public:
  FixedLoad(double usage, double celsius) : usage_(usage), celsius_(celsius) {}
  Sample read() override {
    Sample s;
    s.cpu.usage_percent = usage_;
    s.sensors = {{"coretemp Package id 0", celsius_, 0.0, true}};
    return s;
  }

 private:
  double usage_, celsius_;
};

HardwareInfo small_machine() {
  HardwareInfo hw;
  hw.cpu.model = "Scripted CPU";
  hw.cpu.n_physical_cores = 1;
  hw.cpu.n_logical_cpus = 1;
  hw.cpu.n_usable_cpus = 1;
  hw.memory_total_bytes = uint64_t{256} << 20;  // the probe uses its 64 MiB minimum
  return hw;
}

TelemetryOptions options_with_cache(const std::string& dir) {
  TelemetryOptions o;
  o.interval = 10ms;
  o.cache_dir = dir;
  o.nvml_library = "";
  return o;
}

std::string fresh_dir(const char* name) {
  const std::string dir = testing::scratch_dir(name);
  fs::remove_all(dir);
  return dir;
}

bool wait_for_bandwidth(const Telemetry& t) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!t.hardware().memory_bandwidth) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Telemetry, BandwidthComesFromTheCache) {
  const std::string dir = fresh_dir("telemetry_facade_cache");
  fs::create_directories(dir);
  std::ofstream(dir + "/memory_bandwidth.json")
      << R"({"version": 1, "entries": {"Scripted CPU|1": {"read_gbps": 77.0, "copy_gbps": 50.0}}})";
  Telemetry t(options_with_cache(dir), small_machine(), std::make_unique<FixedLoad>(95.0, 40.0));
  EXPECT_FALSE(t.hardware().memory_bandwidth);
  t.start();
  ASSERT_TRUE(wait_for_bandwidth(t));
  EXPECT_DOUBLE_EQ(t.hardware().memory_bandwidth->read_gbps, 77.0);
  EXPECT_TRUE(t.hardware().memory_bandwidth->from_cache);
  t.stop();
}

TEST(Telemetry, QuietMachineMeasuresAndCaches) {
  const std::string dir = fresh_dir("telemetry_facade_quiet");
  Telemetry t(options_with_cache(dir), small_machine(), std::make_unique<FixedLoad>(5.0, 40.0));
  t.start();
  ASSERT_TRUE(wait_for_bandwidth(t));
  EXPECT_FALSE(t.hardware().memory_bandwidth->from_cache);
  EXPECT_GT(t.hardware().memory_bandwidth->read_gbps, 0.5);
  t.stop();
  auto cached = read_cached_memory_bandwidth(dir, "Scripted CPU|1");
  ASSERT_TRUE(cached);
  EXPECT_DOUBLE_EQ(cached->read_gbps, t.hardware().memory_bandwidth->read_gbps);
}

TEST(Telemetry, BusyMachineMeasuresWithoutCaching) {
  const std::string dir = fresh_dir("telemetry_facade_busy");
  Telemetry t(options_with_cache(dir), small_machine(), std::make_unique<FixedLoad>(95.0, 40.0));
  t.start();
  ASSERT_TRUE(wait_for_bandwidth(t));
  EXPECT_FALSE(t.hardware().memory_bandwidth->from_cache);
  t.stop();
  EXPECT_FALSE(fs::exists(dir + "/memory_bandwidth.json"));
}

TEST(Telemetry, StartStopAndListeners) {
  TelemetryOptions o = options_with_cache("");
  o.probe_bandwidth = false;
  Telemetry t(o, small_machine(), std::make_unique<FixedLoad>(5.0, 99.0));
  std::atomic<int> critical{0};
  t.add_thermal_listener([&](ThermalState, ThermalState to, const Sample&) {
    if (to == ThermalState::kCritical) ++critical;
  });
  EXPECT_FALSE(t.sampling());
  t.start();
  t.start();
  EXPECT_TRUE(t.sampling());
  EXPECT_EQ(critical.load(), 1);  // the first sample, taken by start()
  EXPECT_EQ(t.thermal_state(), ThermalState::kCritical);
  EXPECT_TRUE(t.latest());
  EXPECT_EQ(t.hardware().fingerprint, hardware_fingerprint(small_machine()));
  t.stop();
  t.stop();
  EXPECT_FALSE(t.sampling());
  EXPECT_FALSE(t.hardware().memory_bandwidth);
}

TEST(Telemetry, RealMachineWithoutNvml) {
  TelemetryOptions o;
  o.interval = 10ms;
  o.probe_bandwidth = false;
  o.nvml_library = "";
  Telemetry t(o);
  EXPECT_FALSE(t.has_nvml());
  EXPECT_TRUE(t.hardware().gpus.empty());
  t.start();
  ASSERT_TRUE(t.latest());
  EXPECT_GT(t.latest()->memory.total_bytes, 0u);
  t.stop();
}

}  // namespace
}  // namespace impetus::telemetry
