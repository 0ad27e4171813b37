// The sysfs readers on a fake tree written to a scratch directory: caches,
// topology, frequencies, throttle counters, thermal zones and hwmon sensors.
#include "telemetry/sysfs.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "testing/paths.h"

namespace impetus::telemetry {
namespace {

namespace fs = std::filesystem;

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class FakeSysfs : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::scratch_dir("telemetry_sysfs");
    fs::remove_all(root_);
    cpu_ = root_ / "devices/system/cpu";
    cls_ = root_ / "class";
  }
  fs::path root_, cpu_, cls_;
};

TEST_F(FakeSysfs, Caches) {
  const fs::path cache = cpu_ / "cpu0/cache";
  put(cache / "index0/level", "1\n");
  put(cache / "index0/type", "Data\n");
  put(cache / "index0/size", "48K\n");
  put(cache / "index0/shared_cpu_list", "0,4\n");
  put(cache / "index1/level", "1\n");
  put(cache / "index1/type", "Instruction\n");
  put(cache / "index1/size", "32K\n");
  put(cache / "index2/level", "2\n");
  put(cache / "index2/type", "Unified\n");
  put(cache / "index2/size", "2048K\n");
  put(cache / "index10/level", "3\n");  // sorted numerically, after index2
  put(cache / "index10/type", "Unified\n");
  put(cache / "index10/size", "32M\n");
  put(cache / "index10/shared_cpu_list", "0-7\n");
  auto caches = read_cpu_caches(cpu_.string());
  ASSERT_EQ(caches.size(), 4u);
  EXPECT_EQ(caches[0].level, 1);
  EXPECT_EQ(caches[0].type, "Data");
  EXPECT_EQ(caches[0].size_bytes, 48u * 1024);
  EXPECT_EQ(caches[0].n_shared_cpus, 2);
  EXPECT_EQ(caches[2].size_bytes, 2048u * 1024);
  EXPECT_EQ(caches[3].level, 3);
  EXPECT_EQ(caches[3].size_bytes, 32u << 20);
  EXPECT_EQ(caches[3].n_shared_cpus, 8);
}

TEST_F(FakeSysfs, TopologyFrequencyAndThrottle) {
  // 4 logical CPUs: two cores with two SMT threads each.
  const int core_of[] = {0, 1, 0, 1};
  for (int i = 0; i < 4; ++i) {
    const fs::path c = cpu_ / ("cpu" + std::to_string(i));
    put(c / "topology/core_id", std::to_string(core_of[i]) + "\n");
    put(c / "topology/physical_package_id", "0\n");
    put(c / "cpufreq/scaling_cur_freq", std::to_string(2000000 + i * 100000) + "\n");
    put(c / "cpufreq/cpuinfo_max_freq", "3500000\n");
    put(c / "cpufreq/cpuinfo_min_freq", "800000\n");
  }
  put(cpu_ / "cpufreq/policy0", "");  // not a cpuN directory: ignored
  EXPECT_EQ(read_physical_cores(cpu_.string()), 2);
  CpuFrequency f = read_cpu_frequency(cpu_.string());
  EXPECT_DOUBLE_EQ(f.current_mhz, (2000 + 2100 + 2200 + 2300) / 4.0);
  EXPECT_DOUBLE_EQ(f.max_mhz, 3500.0);
  EXPECT_DOUBLE_EQ(f.min_mhz, 800.0);

  EXPECT_FALSE(read_cpu_throttle_count(cpu_.string()));
  put(cpu_ / "cpu0/thermal_throttle/core_throttle_count", "3\n");
  put(cpu_ / "cpu1/thermal_throttle/core_throttle_count", "4\n");
  put(cpu_ / "cpu1/thermal_throttle/package_throttle_count", "10\n");
  EXPECT_EQ(read_cpu_throttle_count(cpu_.string()), 17u);
}

TEST_F(FakeSysfs, ThermalZonesAndHwmon) {
  put(cls_ / "thermal/thermal_zone0/type", "acpitz\n");
  put(cls_ / "thermal/thermal_zone0/temp", "41000\n");
  put(cls_ / "thermal/thermal_zone0/trip_point_0_type", "passive\n");
  put(cls_ / "thermal/thermal_zone0/trip_point_0_temp", "90000\n");
  put(cls_ / "thermal/thermal_zone0/trip_point_1_type", "critical\n");
  put(cls_ / "thermal/thermal_zone0/trip_point_1_temp", "105000\n");
  put(cls_ / "thermal/thermal_zone1/type", "x86_pkg_temp\n");
  put(cls_ / "thermal/thermal_zone1/temp", "55500\n");
  put(cls_ / "thermal/cooling_device0/type", "Processor\n");  // not a zone
  put(cls_ / "hwmon/hwmon0/name", "k10temp\n");
  put(cls_ / "hwmon/hwmon0/temp1_input", "62125\n");
  put(cls_ / "hwmon/hwmon0/temp1_label", "Tctl\n");
  put(cls_ / "hwmon/hwmon1/name", "nvme\n");
  put(cls_ / "hwmon/hwmon1/temp1_input", "38850\n");
  put(cls_ / "hwmon/hwmon1/temp1_crit", "84850\n");
  put(cls_ / "hwmon/hwmon1/temp2_input", "-273000\n");  // a broken sensor: skipped

  SensorPaths paths = discover_sensors(cls_.string());
  ASSERT_EQ(paths.entries.size(), 5u);
  auto sensors = read_sensors(paths);
  ASSERT_EQ(sensors.size(), 4u);
  EXPECT_EQ(sensors[0].name, "thermal_zone0 acpitz");
  EXPECT_DOUBLE_EQ(sensors[0].celsius, 41.0);
  EXPECT_DOUBLE_EQ(sensors[0].critical_c, 105.0);
  EXPECT_FALSE(sensors[0].cpu);
  EXPECT_EQ(sensors[1].name, "thermal_zone1 x86_pkg_temp");
  EXPECT_TRUE(sensors[1].cpu);
  EXPECT_EQ(sensors[2].name, "k10temp Tctl");
  EXPECT_DOUBLE_EQ(sensors[2].celsius, 62.125);
  EXPECT_TRUE(sensors[2].cpu);
  EXPECT_EQ(sensors[3].name, "nvme temp1");
  EXPECT_DOUBLE_EQ(sensors[3].critical_c, 84.85);
  EXPECT_FALSE(sensors[3].cpu);

  // Values are re-read each time.
  put(cls_ / "hwmon/hwmon0/temp1_input", "70000\n");
  EXPECT_DOUBLE_EQ(read_sensors(paths)[2].celsius, 70.0);
}

TEST_F(FakeSysfs, MissingTreeIsEmptyNotAnError) {
  EXPECT_TRUE(read_cpu_caches((root_ / "nope").string()).empty());
  EXPECT_EQ(read_physical_cores((root_ / "nope").string()), 0);
  EXPECT_EQ(read_cpu_frequency((root_ / "nope").string()).current_mhz, 0.0);
  EXPECT_TRUE(discover_sensors((root_ / "nope").string()).entries.empty());
  EXPECT_FALSE(read_text_file((root_ / "nope/file").string()));
}

}  // namespace
}  // namespace impetus::telemetry
