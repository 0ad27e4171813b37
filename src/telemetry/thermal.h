// The machine's thermal state, derived from temperatures and throttle flags,
// in the four levels the original Impetus API reported (Apple's names):
//   nominal   no sign of heat;
//   fair      warm, nothing to do;
//   serious   hot or throttling: performance is already reduced;
//   critical  close to the shutdown / slowdown temperature: cut the load.
//
// Thresholds (defaults of ThermalThresholds). For each sensor whose own
// critical temperature Tc is known (hwmon tempN_crit, a thermal zone's
// "critical" trip point, NVML's slowdown temperature):
//   fair >= Tc - 25 C, serious >= Tc - 10 C, critical >= Tc - 3 C.
// Without Tc, absolute thresholds:
//   CPU: fair >= 70 C, serious >= 85 C, critical >= 95 C;
//   GPU: fair >= 75 C, serious >= 83 C, critical >= 90 C.
// Throttling sets a floor: CPU thermal-throttle counters that rose, or an
// NVIDIA GPU in hardware slowdown / thermal slowdown / power brake -> at least
// serious; a GPU in software thermal slowdown -> at least fair.
// The state is the worst over all sensors. To avoid flapping, a state is only
// left downwards once every temperature is `hysteresis_c` below the threshold
// that put it there.
#pragma once

#include <string_view>
#include <vector>

namespace impetus::telemetry {

enum class ThermalState { kNominal = 0, kFair = 1, kSerious = 2, kCritical = 3 };

// "nominal", "fair", "serious", "critical".
std::string_view thermal_state_name(ThermalState state);

struct ThermalReading {
  double celsius = 0.0;
  double critical_c = 0.0;  // the sensor's own critical temperature; 0 = unknown
  bool gpu = false;         // picks the GPU absolute thresholds when critical_c is unknown
};

struct ThermalThresholds {
  double fair_margin_c = 25.0;      // below a known critical temperature
  double serious_margin_c = 10.0;
  double critical_margin_c = 3.0;
  double cpu_fair_c = 70.0;         // absolute, when the critical temperature is unknown
  double cpu_serious_c = 85.0;
  double cpu_critical_c = 95.0;
  double gpu_fair_c = 75.0;
  double gpu_serious_c = 83.0;
  double gpu_critical_c = 90.0;
  double hysteresis_c = 3.0;        // how far below a threshold a state is left
};

struct ThermalInputs {
  std::vector<ThermalReading> readings;
  bool cpu_throttled = false;     // CPU thermal-throttle counters rose since the last sample
  bool gpu_hw_slowdown = false;   // NVML HW slowdown, HW thermal slowdown or power brake
  bool gpu_sw_thermal = false;    // NVML SW thermal slowdown
};

// The state for `inputs`, given the state before (hysteresis applies only
// when going down).
ThermalState derive_thermal_state(const ThermalInputs& inputs, const ThermalThresholds& thresholds = {},
                                  ThermalState previous = ThermalState::kNominal);

// How close the hottest sensor is to critical: 0 at (or below) its fair
// threshold, 100 at its critical threshold; 0 without readings.
double thermal_pressure_percent(const ThermalInputs& inputs, const ThermalThresholds& thresholds = {});

}  // namespace impetus::telemetry
