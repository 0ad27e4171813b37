// Performance modes (efficiency, balanced, performance) and the interface
// through which POST /api/hardware/performance-mode really changes how the
// engines run. Telemetry does not know the engines: the application
// implements PerformanceModeTarget (thread count, batch limits, ...) and
// hands it to the routes; mode_profile() suggests the numbers.
//
//   class EngineModes : public PerformanceModeTarget { ... };
//   auto changes = target.apply(PerformanceMode::kEfficiency);  // [{"n_threads", 8, 4}, ...]
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace impetus::telemetry {

enum class PerformanceMode { kEfficiency, kBalanced, kPerformance };

// "efficiency", "balanced", "performance".
std::string_view performance_mode_name(PerformanceMode mode);
// The inverse (exact, lower case); nullopt for anything else.
std::optional<PerformanceMode> parse_performance_mode(std::string_view name);

// One tunable a mode moved, by name ("n_threads", "max_batch_tokens", ...).
struct SettingChange {
  std::string name;
  int64_t before = 0;
  int64_t after = 0;
};

// Implemented by the application against its engines. Called from HTTP I/O
// threads (and the thermal listener): implementations must be thread-safe
// and must not block for long.
class PerformanceModeTarget {
 public:
  virtual ~PerformanceModeTarget() = default;
  virtual PerformanceMode mode() const = 0;
  // The tunables a mode moves and their current values, e.g.
  // {{"n_threads", 8}, {"max_batch_tokens", 512}}. "n_threads" (the CPU
  // threads the engines use) feeds the thread-count recommendation.
  virtual std::vector<std::pair<std::string, int64_t>> settings() const = 0;
  // Switches to `mode`; returns every setting that changed (empty if the
  // mode was already in force), or an error (nothing changed then).
  virtual StatusOr<std::vector<SettingChange>> apply(PerformanceMode mode) = 0;
};

// Suggested settings per mode, for a machine with `n_physical_cores` cores:
//   efficiency:  half the cores (at least 1), half the batch;
//   balanced:    all cores but one per 8 (left to the server and the OS);
//   performance: every physical core (never SMT siblings: decode is
//                memory-bound and extra threads only contend), full batch.
struct ModeProfile {
  int n_threads = 1;
  double batch_scale = 1.0;  // multiply the configured batch-token limit by this
};
ModeProfile mode_profile(PerformanceMode mode, int n_physical_cores);

}  // namespace impetus::telemetry
