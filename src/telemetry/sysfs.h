// Readers of Linux sysfs trees: CPU caches, topology, frequencies, thermal
// throttle counters (/sys/devices/system/cpu) and temperature sensors
// (/sys/class/thermal, /sys/class/hwmon). Each takes the root directory so
// tests can build a fake tree; a missing tree reads as "nothing there" (on
// macOS, in containers, on VMs without sensors), never as an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/hardware.h"

namespace impetus::telemetry {

// cpu0's caches from <cpu_dir>/cpu0/cache/index*/{level,type,size,shared_cpu_list}.
std::vector<CacheLevel> read_cpu_caches(const std::string& cpu_dir);

// Distinct (package, core) pairs over <cpu_dir>/cpuN/topology; 0 if absent.
int read_physical_cores(const std::string& cpu_dir);

// Mean current frequency over <cpu_dir>/cpuN/cpufreq/scaling_cur_freq (kHz
// in the file), and the max / min of cpuinfo_{max,min}_freq; 0 if absent.
struct CpuFrequency {
  double current_mhz = 0.0, min_mhz = 0.0, max_mhz = 0.0;
};
CpuFrequency read_cpu_frequency(const std::string& cpu_dir);

// Sum of <cpu_dir>/cpuN/thermal_throttle/{core,package}_throttle_count
// (Intel); nullopt when no CPU exposes them.
std::optional<uint64_t> read_cpu_throttle_count(const std::string& cpu_dir);

struct TemperatureSensor {
  std::string name;          // "k10temp Tctl", "thermal_zone0 x86_pkg_temp", ...
  double celsius = 0.0;
  double critical_c = 0.0;   // the sensor's critical temperature; 0 if unknown
  bool cpu = false;          // a CPU package / core sensor (by driver or zone name)
};

// Where the temperature files are; found once, read every sample.
struct SensorPaths {
  struct Entry {
    std::string name;
    std::string input_path;     // millidegrees Celsius
    double critical_c = 0.0;    // read once at discovery
    bool cpu = false;
  };
  std::vector<Entry> entries;
};

// Scans <class_dir>/thermal/thermal_zone* and <class_dir>/hwmon/hwmon*.
SensorPaths discover_sensors(const std::string& class_dir = "/sys/class");
// Current values; sensors that fail to read (or read absurd values) are skipped.
std::vector<TemperatureSensor> read_sensors(const SensorPaths& paths);

// The whole text of a small file; nullopt if it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace impetus::telemetry
