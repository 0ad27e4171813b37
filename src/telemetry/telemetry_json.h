// JSON views of telemetry for the HTTP API (docs/api/hardware.md documents
// every field). Field names follow the original Python Impetus API where it
// had one ("usage_per_core", "memory_mb", "temperature_celsius", ...); "_gb"
// values are GiB (2^30 bytes) as there, and exact "_bytes" twins sit beside
// the main ones.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "telemetry/hardware.h"
#include "telemetry/performance_mode.h"
#include "telemetry/recommendations.h"
#include "telemetry/sample.h"

namespace impetus::telemetry {

// GET /api/hardware/info. `latest` (may be null) adds the live memory and thermal fields.
nlohmann::json hardware_info_json(const HardwareInfo& hw, const Sample* latest);

// GET /api/hardware/metrics.
nlohmann::json metrics_json(const Sample& s, const HardwareInfo& hw);

// One GPU reading.
nlohmann::json gpu_sample_json(const GpuSample& g, const HardwareInfo& hw);

// GET /api/hardware/gpu/metrics from the sample history (oldest first, not
// empty): per GPU the latest reading, the mean over the last minute and the
// peaks over the whole history; the top-level current / average_1min / peak
// are GPU 0's, as in the original single-GPU API.
nlohmann::json gpu_metrics_json(const std::vector<Sample>& history, const HardwareInfo& hw);

// GET /api/hardware/optimization.
struct OptimizationView {
  const HardwareInfo* hardware = nullptr;
  std::vector<Recommendation> recommendations;
  std::optional<PerformanceMode> mode;
  std::vector<std::pair<std::string, int64_t>> settings;
  std::vector<ModelFootprint> models;
};
nlohmann::json optimization_json(const OptimizationView& v);

// "Performance mode" response: the mode, every current setting and what changed.
nlohmann::json performance_mode_json(PerformanceMode mode, const std::vector<std::pair<std::string, int64_t>>& settings,
                                     const std::vector<SettingChange>& changes);

}  // namespace impetus::telemetry
