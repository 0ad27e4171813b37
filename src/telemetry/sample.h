// One reading of the machine's live state (CPU, memory, this process, GPUs,
// temperatures, disk, network) and the SampleSource that produces readings.
// The system source reads /proc, sysfs and NVML (Linux) or Mach and sysctl
// (macOS); tests substitute scripted sources. A source is stateful: CPU
// percentages are measured between one read() and the next.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/nvml.h"
#include "telemetry/sysfs.h"
#include "telemetry/thermal.h"

namespace impetus::telemetry {

struct CpuSample {
  double usage_percent = 0.0;          // all cores, since the previous read
  std::vector<double> per_core;        // percent per logical CPU
  double frequency_mhz = 0.0;          // mean current frequency; 0 if unknown
  std::optional<double> temperature_c; // hottest CPU sensor, if any
  std::optional<uint64_t> throttle_count;  // thermal throttle events since boot (Intel sysfs)
  std::vector<double> load_average;    // 1, 5, 15 minutes (empty if unknown)
};

struct MemorySample {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
  uint64_t used_bytes = 0;             // total - available
  double percent = 0.0;                // used / total
  uint64_t swap_total_bytes = 0;
  uint64_t swap_used_bytes = 0;
};

struct ProcessSample {
  uint64_t rss_bytes = 0;
  uint64_t virtual_bytes = 0;
  int n_threads = 0;
  int n_open_files = 0;                // open file descriptors
  double cpu_percent = 0.0;            // of one core (may exceed 100 with several threads)
};

struct DiskSample {
  std::string path;                    // the file system holding this path
  uint64_t total_bytes = 0, free_bytes = 0, used_bytes = 0;
};

struct NetworkSample {
  uint64_t bytes_sent = 0, bytes_recv = 0;      // since boot, all interfaces but loopback
  uint64_t packets_sent = 0, packets_recv = 0;
};

struct Sample {
  int64_t timestamp_ms = 0;            // unix time; set by the Sampler
  CpuSample cpu;
  MemorySample memory;
  ProcessSample process;
  std::vector<GpuSample> gpus;
  std::vector<TemperatureSensor> sensors;
  std::optional<DiskSample> disk;
  std::optional<NetworkSample> network;
  ThermalState thermal_state = ThermalState::kNominal;  // set by the Sampler
  double thermal_pressure = 0.0;       // 0..100, set by the Sampler (see thermal.h)
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  // A reading of everything but timestamp_ms, thermal_state and
  // thermal_pressure. Called from one thread at a time.
  virtual Sample read() = 0;
  // The GPUs' static descriptions, for slowdown temperatures (may be empty).
  virtual std::vector<GpuDescription> gpus() const { return {}; }
};

struct SystemSourceOptions {
  const Nvml* nvml = nullptr;                        // null: no GPU readings; must outlive the source
  std::string sysfs_cpu_dir = "/sys/devices/system/cpu";
  std::string sysfs_class_dir = "/sys/class";
  std::string disk_path = ".";                       // whose file system "disk" reports; "" = none
};

// The real machine (hardware_linux.cc / hardware_macos.cc). The constructor
// takes a first CPU reading, so the first read() already has a delta.
std::unique_ptr<SampleSource> make_system_source(const SystemSourceOptions& options);

// The thermal inputs of a sample: CPU sensors (or, when none is recognised as
// a CPU sensor, every thermal zone), GPU temperatures against their slowdown
// temperature, and throttle flags. `throttled` says whether the CPU throttle
// count rose since the previous sample.
ThermalInputs thermal_inputs(const Sample& s, const std::vector<GpuDescription>& gpus, bool cpu_throttled);

}  // namespace impetus::telemetry
