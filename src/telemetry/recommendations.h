// Optimization advice from the machine's current state, for
// GET /api/hardware/optimization. A pure function of its inputs: the
// detected hardware, the latest sample, the loaded models' memory and the
// engines' current settings. Each rule is listed with its trigger in
// recommendations.cc; severities are "high", "medium", "info".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "telemetry/hardware.h"
#include "telemetry/performance_mode.h"
#include "telemetry/sample.h"

namespace impetus::telemetry {

struct Recommendation {
  std::string type;      // "memory", "gpu_memory", "threads", "thermal", "cpu", "gpu", "performance"
  std::string severity;  // "high", "medium", "info"
  std::string message;   // one sentence for people
  std::string action;    // machine-readable hint: "unload_models", "set_efficiency_mode", ...
};

struct ModelFootprint {
  std::string id;
  uint64_t weight_bytes = 0;
  uint64_t kv_cache_bytes = 0;
  bool on_gpu = false;  // the engine's backend is a GPU one
};

struct RecommendationInputs {
  const HardwareInfo* hardware = nullptr;  // required
  const Sample* latest = nullptr;          // null before the first sample
  std::vector<ModelFootprint> models;
  std::optional<PerformanceMode> mode;     // null without a PerformanceModeTarget
  std::vector<std::pair<std::string, int64_t>> settings;  // the target's settings()
};

std::vector<Recommendation> recommend(const RecommendationInputs& in);

// Upper bound on decode speed for a model whose weights are read once per
// token: bandwidth / weight bytes (tokens per second); 0 when unknown.
double decode_tokens_per_s_bound(double read_gbps, uint64_t weight_bytes);

}  // namespace impetus::telemetry
