#include "telemetry/thermal.h"

#include <algorithm>

namespace impetus::telemetry {
namespace {

struct Levels {
  double fair, serious, critical;
};

Levels levels_for(const ThermalReading& r, const ThermalThresholds& t) {
  if (r.critical_c > 0.0) {
    return {r.critical_c - t.fair_margin_c, r.critical_c - t.serious_margin_c,
            r.critical_c - t.critical_margin_c};
  }
  if (r.gpu) return {t.gpu_fair_c, t.gpu_serious_c, t.gpu_critical_c};
  return {t.cpu_fair_c, t.cpu_serious_c, t.cpu_critical_c};
}

// The level of one reading with every threshold lowered by `shift`.
ThermalState level_of(const ThermalReading& r, const ThermalThresholds& t, double shift) {
  const Levels l = levels_for(r, t);
  if (r.celsius >= l.critical - shift) return ThermalState::kCritical;
  if (r.celsius >= l.serious - shift) return ThermalState::kSerious;
  if (r.celsius >= l.fair - shift) return ThermalState::kFair;
  return ThermalState::kNominal;
}

ThermalState worst(const ThermalInputs& in, const ThermalThresholds& t, double shift) {
  ThermalState s = ThermalState::kNominal;
  if (in.gpu_sw_thermal) s = ThermalState::kFair;
  if (in.cpu_throttled || in.gpu_hw_slowdown) s = ThermalState::kSerious;
  for (const auto& r : in.readings) s = std::max(s, level_of(r, t, shift));
  return s;
}

}  // namespace

std::string_view thermal_state_name(ThermalState state) {
  switch (state) {
    case ThermalState::kNominal: return "nominal";
    case ThermalState::kFair: return "fair";
    case ThermalState::kSerious: return "serious";
    case ThermalState::kCritical: return "critical";
  }
  return "nominal";
}

ThermalState derive_thermal_state(const ThermalInputs& inputs, const ThermalThresholds& thresholds,
                                  ThermalState previous) {
  const ThermalState raw = worst(inputs, thresholds, 0.0);
  if (raw >= previous) return raw;
  // Going down: only as far as the readings stay below thresholds lowered by the hysteresis.
  return std::min(previous, worst(inputs, thresholds, thresholds.hysteresis_c));
}

double thermal_pressure_percent(const ThermalInputs& inputs, const ThermalThresholds& thresholds) {
  double best = 0.0;
  for (const auto& r : inputs.readings) {
    const Levels l = levels_for(r, thresholds);
    if (l.critical <= l.fair) continue;
    const double p = 100.0 * (r.celsius - l.fair) / (l.critical - l.fair);
    best = std::max(best, std::clamp(p, 0.0, 100.0));
  }
  return best;
}

}  // namespace impetus::telemetry
