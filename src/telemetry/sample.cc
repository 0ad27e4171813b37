#include "telemetry/sample.h"

namespace impetus::telemetry {

ThermalInputs thermal_inputs(const Sample& s, const std::vector<GpuDescription>& gpus, bool cpu_throttled) {
  ThermalInputs in;
  in.cpu_throttled = cpu_throttled;
  bool any_cpu = false;
  for (const auto& t : s.sensors) any_cpu = any_cpu || t.cpu;
  for (const auto& t : s.sensors) {
    const bool zone = t.name.rfind("thermal_zone", 0) == 0;
    if (any_cpu ? t.cpu : zone) in.readings.push_back({t.celsius, t.critical_c, false});
  }
  for (const auto& g : s.gpus) {
    double slowdown = 0.0;
    for (const auto& d : gpus) {
      if (d.index == g.index) slowdown = d.slowdown_temperature_c;
    }
    if (g.temperature_c > 0.0) in.readings.push_back({g.temperature_c, slowdown, true});
    in.gpu_hw_slowdown = in.gpu_hw_slowdown || throttle_is_hw_slowdown(g.throttle_reasons);
    in.gpu_sw_thermal = in.gpu_sw_thermal || throttle_is_sw_thermal(g.throttle_reasons);
  }
  return in;
}

}  // namespace impetus::telemetry
