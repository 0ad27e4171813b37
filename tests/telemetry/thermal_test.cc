// The thermal-state table of thermal.h, its throttle floors and hysteresis,
// and how a sample becomes thermal inputs.
#include "telemetry/thermal.h"

#include <gtest/gtest.h>

#include "telemetry/sample.h"

namespace impetus::telemetry {
namespace {

using S = ThermalState;

ThermalInputs one(double c, double critical = 0.0, bool gpu = false) {
  ThermalInputs in;
  in.readings.push_back({c, critical, gpu});
  return in;
}

struct Row {
  double celsius;
  double critical;  // 0 = unknown
  bool gpu;
  S expected;
};

TEST(Thermal, DerivationTable) {
  const Row rows[] = {
      // CPU, absolute thresholds 70 / 85 / 95.
      {40.0, 0, false, S::kNominal},
      {69.9, 0, false, S::kNominal},
      {70.0, 0, false, S::kFair},
      {84.9, 0, false, S::kFair},
      {85.0, 0, false, S::kSerious},
      {94.9, 0, false, S::kSerious},
      {95.0, 0, false, S::kCritical},
      // GPU, absolute thresholds 75 / 83 / 90.
      {74.0, 0, true, S::kNominal},
      {75.0, 0, true, S::kFair},
      {83.0, 0, true, S::kSerious},
      {90.0, 0, true, S::kCritical},
      // Known critical temperature 100: 75 / 90 / 97.
      {74.9, 100, false, S::kNominal},
      {75.0, 100, false, S::kFair},
      {90.0, 100, false, S::kSerious},
      {96.9, 100, false, S::kSerious},
      {97.0, 100, false, S::kCritical},
      // A known critical temperature wins over the GPU defaults (slowdown 87: 62 / 77 / 84).
      {70.0, 87, true, S::kFair},
      {84.0, 87, true, S::kCritical},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(derive_thermal_state(one(r.celsius, r.critical, r.gpu)), r.expected)
        << r.celsius << " C, critical " << r.critical << (r.gpu ? " (gpu)" : " (cpu)");
  }
}

TEST(Thermal, WorstSensorWins) {
  ThermalInputs in;
  in.readings = {{50.0, 0, false}, {86.0, 0, false}, {76.0, 0, true}};
  EXPECT_EQ(derive_thermal_state(in), S::kSerious);
  EXPECT_EQ(derive_thermal_state(ThermalInputs{}), S::kNominal);
}

TEST(Thermal, ThrottleFloors) {
  ThermalInputs in = one(40.0);
  in.cpu_throttled = true;
  EXPECT_EQ(derive_thermal_state(in), S::kSerious);
  in = one(40.0);
  in.gpu_hw_slowdown = true;
  EXPECT_EQ(derive_thermal_state(in), S::kSerious);
  in = one(40.0);
  in.gpu_sw_thermal = true;
  EXPECT_EQ(derive_thermal_state(in), S::kFair);
  in = one(96.0);
  in.gpu_sw_thermal = true;
  EXPECT_EQ(derive_thermal_state(in), S::kCritical);  // a floor never lowers
}

TEST(Thermal, HysteresisOnlyGoingDown) {
  // Serious at 85; leaving it needs < 82 (3 C hysteresis).
  EXPECT_EQ(derive_thermal_state(one(84.0), {}, S::kSerious), S::kSerious);
  EXPECT_EQ(derive_thermal_state(one(82.5), {}, S::kSerious), S::kSerious);
  EXPECT_EQ(derive_thermal_state(one(81.9), {}, S::kSerious), S::kFair);
  EXPECT_EQ(derive_thermal_state(one(50.0), {}, S::kCritical), S::kNominal);
  // Going up ignores the previous state.
  EXPECT_EQ(derive_thermal_state(one(95.0), {}, S::kNominal), S::kCritical);
  // From critical, 93 is within the hysteresis of 95 -> stays critical.
  EXPECT_EQ(derive_thermal_state(one(93.0), {}, S::kCritical), S::kCritical);
  EXPECT_EQ(derive_thermal_state(one(91.0), {}, S::kCritical), S::kSerious);
}

TEST(Thermal, Names) {
  EXPECT_EQ(thermal_state_name(S::kNominal), "nominal");
  EXPECT_EQ(thermal_state_name(S::kFair), "fair");
  EXPECT_EQ(thermal_state_name(S::kSerious), "serious");
  EXPECT_EQ(thermal_state_name(S::kCritical), "critical");
}

TEST(Thermal, Pressure) {
  EXPECT_DOUBLE_EQ(thermal_pressure_percent(one(60.0)), 0.0);
  EXPECT_DOUBLE_EQ(thermal_pressure_percent(one(82.5)), 50.0);  // halfway from 70 to 95
  EXPECT_DOUBLE_EQ(thermal_pressure_percent(one(120.0)), 100.0);
  EXPECT_DOUBLE_EQ(thermal_pressure_percent(ThermalInputs{}), 0.0);
}

TEST(Thermal, InputsFromSample) {
  Sample s;
  s.sensors = {{"thermal_zone0 acpitz", 99.0, 0, false}, {"k10temp Tctl", 60.0, 0, true}};
  GpuSample g;
  g.index = 0;
  g.temperature_c = 80.0;
  g.throttle_reasons = 0x40;  // hw thermal slowdown
  s.gpus = {g};
  GpuDescription d;
  d.index = 0;
  d.slowdown_temperature_c = 87.0;
  ThermalInputs in = thermal_inputs(s, {d}, false);
  // The CPU sensor is used, the ACPI zone ignored (a CPU sensor exists).
  ASSERT_EQ(in.readings.size(), 2u);
  EXPECT_DOUBLE_EQ(in.readings[0].celsius, 60.0);
  EXPECT_FALSE(in.readings[0].gpu);
  EXPECT_DOUBLE_EQ(in.readings[1].celsius, 80.0);
  EXPECT_TRUE(in.readings[1].gpu);
  EXPECT_DOUBLE_EQ(in.readings[1].critical_c, 87.0);
  EXPECT_TRUE(in.gpu_hw_slowdown);
  EXPECT_FALSE(in.gpu_sw_thermal);
  EXPECT_FALSE(in.cpu_throttled);

  // Without a CPU sensor the thermal zones stand in; hwmon sensors of other devices do not.
  s.sensors = {{"thermal_zone0 acpitz", 71.0, 0, false}, {"nvme Composite", 90.0, 0, false}};
  s.gpus.clear();
  in = thermal_inputs(s, {}, true);
  ASSERT_EQ(in.readings.size(), 1u);
  EXPECT_DOUBLE_EQ(in.readings[0].celsius, 71.0);
  EXPECT_TRUE(in.cpu_throttled);
}

}  // namespace
}  // namespace impetus::telemetry
