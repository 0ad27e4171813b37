#include "telemetry/performance_mode.h"

#include <algorithm>

namespace impetus::telemetry {

std::string_view performance_mode_name(PerformanceMode mode) {
  switch (mode) {
    case PerformanceMode::kEfficiency: return "efficiency";
    case PerformanceMode::kBalanced: return "balanced";
    case PerformanceMode::kPerformance: return "performance";
  }
  return "balanced";
}

std::optional<PerformanceMode> parse_performance_mode(std::string_view name) {
  for (PerformanceMode m : {PerformanceMode::kEfficiency, PerformanceMode::kBalanced, PerformanceMode::kPerformance}) {
    if (name == performance_mode_name(m)) return m;
  }
  return std::nullopt;
}

ModeProfile mode_profile(PerformanceMode mode, int n_physical_cores) {
  const int cores = std::max(1, n_physical_cores);
  switch (mode) {
    case PerformanceMode::kEfficiency: return {std::max(1, cores / 2), 0.5};
    case PerformanceMode::kBalanced: return {std::max(1, cores - cores / 8), 1.0};
    case PerformanceMode::kPerformance: return {cores, 1.0};
  }
  return {cores, 1.0};
}

}  // namespace impetus::telemetry
