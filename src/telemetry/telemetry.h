// Telemetry: the one object the application creates for live hardware
// telemetry. It loads NVML (if present), detects the hardware, runs the
// Sampler and, in the background, the memory-bandwidth probe (cached on
// disk). The HTTP routes read from it; the server subscribes to thermal
// state changes through it.
//
//   Telemetry telemetry({.isa_features = cpu::cpu_features_string(), .cache_dir = dir});
//   telemetry.add_thermal_listener([&](ThermalState from, ThermalState to, const Sample&) {
//     if (to == ThermalState::kCritical) modes.apply(PerformanceMode::kEfficiency);
//   });
//   telemetry.start();
//   ...
//   telemetry.stop();  // also done by the destructor
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "telemetry/hardware.h"
#include "telemetry/nvml.h"
#include "telemetry/sample.h"
#include "telemetry/sampler.h"

namespace impetus::telemetry {

struct TelemetryOptions {
  std::chrono::milliseconds interval{1000};   // sampling interval
  std::chrono::seconds history{600};          // how far back the history reaches
  std::string isa_features;                   // from the CPU backend, e.g. cpu::cpu_features_string()
  std::string cache_dir;                      // for memory_bandwidth.json; "" = no cache
  bool probe_bandwidth = true;                // probe memory bandwidth at start() (own thread); a
                                              // result measured while the CPUs are > 50% busy is
                                              // used but not cached
  std::string nvml_library = "libnvidia-ml.so.1";  // "" = don't look for NVIDIA GPUs
  std::string disk_path = ".";                // whose file system the metrics' "disk" reports
  ThermalThresholds thresholds;
};

class Telemetry {
 public:
  explicit Telemetry(TelemetryOptions options);
  // For tests: given hardware and a scripted source (no NVML, no probe
  // unless options.probe_bandwidth).
  Telemetry(TelemetryOptions options, HardwareInfo hardware, std::unique_ptr<SampleSource> source);
  ~Telemetry();
  Telemetry(const Telemetry&) = delete;
  Telemetry& operator=(const Telemetry&) = delete;

  // Takes a first sample (on the calling thread), starts the sampler thread
  // and the bandwidth probe (its own thread). Idempotent.
  void start();
  // Stops both and joins them. Idempotent.
  void stop();

  // The detected hardware, with the bandwidth once probed.
  HardwareInfo hardware() const;
  std::optional<Sample> latest() const { return sampler_->latest(); }
  std::vector<Sample> history(std::chrono::milliseconds window = std::chrono::milliseconds(0)) const {
    return sampler_->history(window);
  }
  ThermalState thermal_state() const { return sampler_->thermal_state(); }
  int add_thermal_listener(Sampler::ThermalListener listener) {
    return sampler_->add_thermal_listener(std::move(listener));
  }
  void remove_thermal_listener(int id) { sampler_->remove_thermal_listener(id); }
  Sampler& sampler() { return *sampler_; }
  const TelemetryOptions& options() const { return options_; }
  bool sampling() const { return sampler_->running(); }
  bool has_nvml() const { return nvml_ != nullptr; }
  int64_t started_at() const { return started_at_; }  // unix seconds of construction

 private:
  void probe_bandwidth();

  const TelemetryOptions options_;
  const int64_t started_at_;
  std::unique_ptr<Nvml> nvml_;  // before sampler_: the source reads through it
  mutable std::mutex mu_;
  HardwareInfo hardware_;       // guarded by mu_ (the probe fills memory_bandwidth)
  std::unique_ptr<Sampler> sampler_;
  std::mutex lifecycle_mu_;
  std::thread probe_thread_;
};

}  // namespace impetus::telemetry
