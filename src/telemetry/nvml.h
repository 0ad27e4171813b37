// NVIDIA GPUs through NVML, loaded at run time with dlopen so Impetus has no
// link dependency on the driver. Nvml::load() returns null when the library,
// one of its required symbols, the driver or a GPU is missing: that is the
// normal "no NVIDIA GPU" case, not an error. Optional NVML functions that an
// old driver lacks, or that a device does not support, leave their fields at
// zero. Thread-safe (NVML itself is).
//
//   auto nvml = Nvml::load();
//   std::vector<GpuDescription> gpus = nvml ? nvml->describe() : {};
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace impetus::telemetry {

// What does not change while the server runs.
struct GpuDescription {
  int index = 0;
  std::string name;                 // "NVIDIA H100 80GB HBM3"
  std::string uuid;                 // "GPU-..."; "" if unavailable
  uint64_t memory_total_bytes = 0;
  int sm_count = 0;                 // streaming multiprocessors; 0 if unknown (see nvml.cc)
  int n_cuda_cores = 0;             // nvmlDeviceGetNumGpuCores; 0 if unavailable
  int compute_capability_major = 0; // 9 for sm_90; 0 if unavailable
  int compute_capability_minor = 0;
  double power_limit_w = 0.0;       // enforced power limit
  int max_graphics_clock_mhz = 0;
  int max_memory_clock_mhz = 0;
  double slowdown_temperature_c = 0.0;  // where the GPU starts to slow down; 0 if unknown
  double shutdown_temperature_c = 0.0;
};

// One reading of one GPU. Fields NVML could not read stay 0.
struct GpuSample {
  int index = 0;
  double utilization_percent = 0.0;         // time a kernel ran, over NVML's last period
  double memory_utilization_percent = 0.0;  // time device memory was read or written
  uint64_t memory_used_bytes = 0;
  uint64_t memory_total_bytes = 0;
  double temperature_c = 0.0;
  double power_w = 0.0;
  double power_limit_w = 0.0;
  int graphics_clock_mhz = 0;
  int sm_clock_mhz = 0;
  int memory_clock_mhz = 0;
  uint64_t throttle_reasons = 0;  // nvmlClocksThrottleReason bits (see throttle_reason_names)
};

// Names of the set bits: "gpu_idle", "applications_clocks_setting",
// "sw_power_cap", "hw_slowdown", "sync_boost", "sw_thermal_slowdown",
// "hw_thermal_slowdown", "hw_power_brake_slowdown", "display_clock_setting";
// unknown bits as "0x...".
std::vector<std::string> throttle_reason_names(uint64_t reasons);
// Reasons that mean heat or power is holding the clocks down (hardware
// slowdown, thermal slowdowns, power brake).
bool throttle_is_hw_slowdown(uint64_t reasons);
bool throttle_is_sw_thermal(uint64_t reasons);

class Nvml {
 public:
  // Opens `library` (a name for the dynamic loader or a path), initialises
  // NVML and counts the GPUs; null if any of that fails or there is no GPU.
  static std::unique_ptr<Nvml> load(const std::string& library = "libnvidia-ml.so.1");
  ~Nvml();
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  int device_count() const { return static_cast<int>(devices_.size()); }
  std::string driver_version() const;  // "550.54.15"; "" if unavailable
  std::vector<GpuDescription> describe() const;
  std::vector<GpuSample> sample() const;

  struct Api;  // the resolved entry points (defined in nvml.cc)

 private:
  Nvml(void* handle, std::unique_ptr<Api> api);
  void* handle_ = nullptr;          // from dlopen
  std::unique_ptr<Api> api_;
  std::vector<void*> devices_;      // nvmlDevice_t handles
};

}  // namespace impetus::telemetry
