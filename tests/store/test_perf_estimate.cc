// Decode-speed estimates: the bandwidth formula against hand arithmetic,
// CPU/GPU placement, unknown hardware, and refinement by measurements.
#include <gtest/gtest.h>

#include <cmath>

#include "store/perf_estimate.h"

namespace impetus {
namespace {

HardwareSummary cpu_machine() {
  HardwareSummary hw;
  hw.memory_bandwidth_gbps = 50.0;
  hw.total_memory_bytes = 32'000'000'000;
  hw.available_memory_bytes = 20'000'000'000;
  return hw;
}

TEST(PerfEstimate, BandwidthFormula) {
  // 0.6 * 50e9 B/s / 5e9 B = 6 tokens/s.
  EXPECT_DOUBLE_EQ(bandwidth_tokens_per_sec(50.0, 0.6, 5'000'000'000), 6.0);
  EXPECT_DOUBLE_EQ(bandwidth_tokens_per_sec(3350.0, 0.5, 4'920'739'232),
                   0.5 * 3350e9 / 4'920'739'232.0);
  EXPECT_EQ(bandwidth_tokens_per_sec(0.0, 0.6, 1000), 0.0);
  EXPECT_EQ(bandwidth_tokens_per_sec(50.0, 0.6, 0), 0.0);
  EXPECT_EQ(bandwidth_tokens_per_sec(NAN, 0.6, 1000), 0.0);
}

TEST(PerfEstimate, CpuEstimateUsesTheCpuEfficiency) {
  PerfEstimator perf(cpu_machine());
  PerfEstimate e = perf.estimate("m", 2'500'000'000);
  EXPECT_TRUE(e.known);
  EXPECT_EQ(e.device, "cpu");
  EXPECT_EQ(e.basis, "bandwidth");
  EXPECT_DOUBLE_EQ(e.tokens_per_sec, 12.0);  // 0.6 * 50e9 / 2.5e9
  EXPECT_TRUE(e.fits_in_memory);
  EXPECT_FALSE(perf.estimate("m", 25'000'000'000).fits_in_memory);  // > 20 GB available
  PerfEstimator custom(cpu_machine(), PerfOptions{.cpu_efficiency = 0.8});
  EXPECT_DOUBLE_EQ(custom.estimate("m", 2'500'000'000).tokens_per_sec, 16.0);
}

TEST(PerfEstimate, GpuWhenTheModelFits) {
  HardwareSummary hw = cpu_machine();
  hw.gpus.push_back({"small", 8'000'000'000, 400.0});
  hw.gpus.push_back({"big", 24'000'000'000, 1000.0});
  hw.gpus.push_back({"unknown-bw", 80'000'000'000, 0.0});
  PerfEstimator perf(hw);
  // 5 GB fits both (x1.2 = 6 GB): the faster one, at 0.5 efficiency.
  PerfEstimate e = perf.estimate("m", 5'000'000'000);
  EXPECT_EQ(e.device, "gpu");
  EXPECT_EQ(e.gpu_name, "big");
  EXPECT_DOUBLE_EQ(e.tokens_per_sec, 100.0);  // 0.5 * 1000e9 / 5e9
  // 18 GB * 1.2 = 21.6 GB: only "big".
  EXPECT_EQ(perf.estimate("m", 18'000'000'000).gpu_name, "big");
  // 21 GB * 1.2 > 24 GB; the 80 GB card has no known bandwidth: the CPU.
  e = perf.estimate("m", 21'000'000'000);
  EXPECT_EQ(e.device, "cpu");
  EXPECT_FALSE(e.fits_in_memory);
  EXPECT_NEAR(e.tokens_per_sec, 0.6 * 50e9 / 21e9, 1e-12);
}

TEST(PerfEstimate, UnknownBandwidthIsUnknown) {
  HardwareSummary hw;
  hw.total_memory_bytes = 8'000'000'000;
  PerfEstimate e = PerfEstimator(hw).estimate("m", 1'000'000'000);
  EXPECT_FALSE(e.known);
  EXPECT_EQ(e.tokens_per_sec, 0.0);
  EXPECT_EQ(e.basis, "unknown");
  EXPECT_TRUE(e.fits_in_memory);  // total memory counts when availability is unknown
  EXPECT_TRUE(PerfEstimator(HardwareSummary{}).estimate("m", 1).fits_in_memory);
}

TEST(PerfEstimate, MeasurementsReplaceEstimates) {
  PerfCalibration cal;
  cal.measured["exact"] = {42.0, 0};
  cal.measured["scaled"] = {30.0, 2'000'000'000};  // measured on a 2 GB file
  cal.measured["q:Q8_0"] = {7.0, 0};
  cal.measured["q"] = {11.0, 0};
  cal.achieved_over_estimated = 0.5;
  PerfEstimator perf(cpu_machine(), {}, cal);
  PerfEstimate e = perf.estimate("exact", 4'000'000'000);
  EXPECT_EQ(e.basis, "measured");
  EXPECT_DOUBLE_EQ(e.tokens_per_sec, 42.0);
  EXPECT_DOUBLE_EQ(perf.estimate("scaled", 4'000'000'000).tokens_per_sec, 15.0);  // twice the bytes
  EXPECT_DOUBLE_EQ(perf.estimate("q", 1'000'000'000, "Q8_0").tokens_per_sec, 7.0);
  EXPECT_DOUBLE_EQ(perf.estimate("q", 1'000'000'000, "Q4_K_M").tokens_per_sec, 11.0);
  // No measurement: the bandwidth estimate scaled by the user's ratio.
  e = perf.estimate("other", 2'500'000'000);
  EXPECT_EQ(e.basis, "bandwidth (calibrated)");
  EXPECT_DOUBLE_EQ(e.tokens_per_sec, 6.0);  // 12 * 0.5
  EXPECT_DOUBLE_EQ(perf.raw_estimate(2'500'000'000).tokens_per_sec, 12.0);
}

TEST(PerfEstimate, CalibrationRatioIsTheGeometricMean) {
  PerfEstimator perf(cpu_machine());  // 2.5 GB -> 12 tok/s, 5 GB -> 6 tok/s
  std::vector<BenchmarkSample> samples = {{2'500'000'000, 6.0}, {5'000'000'000, 12.0}};
  // ratios 0.5 and 2: geometric mean 1.
  EXPECT_NEAR(*calibration_ratio(samples, perf), 1.0, 1e-12);
  samples = {{2'500'000'000, 9.0}, {5'000'000'000, 0.0}, {0, 5.0}};  // unusable samples skipped
  EXPECT_NEAR(*calibration_ratio(samples, perf), 0.75, 1e-12);
  EXPECT_FALSE(calibration_ratio({}, perf));
  EXPECT_FALSE(calibration_ratio({{1000, 5.0}}, PerfEstimator(HardwareSummary{})));
}

TEST(PerfEstimate, MemoryBudget) {
  HardwareSummary hw;
  EXPECT_EQ(model_memory_budget_bytes(hw), 0u);
  hw.total_memory_bytes = 16;
  EXPECT_EQ(model_memory_budget_bytes(hw), 16u);
  hw.available_memory_bytes = 10;
  EXPECT_EQ(model_memory_budget_bytes(hw), 10u);
  hw.gpus.push_back({"g", 12, 0});
  EXPECT_EQ(model_memory_budget_bytes(hw), 12u);
}

}  // namespace
}  // namespace impetus
