// The JSON views: original Impetus field names are present, units are right,
// and the GPU window (mean over the last minute, peaks over the history) is
// computed from the samples.
#include "telemetry/telemetry_json.h"

#include <gtest/gtest.h>

namespace impetus::telemetry {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

HardwareInfo hw_with_gpu() {
  HardwareInfo hw;
  hw.cpu.model = "Test CPU";
  hw.cpu.architecture = "x86_64";
  hw.cpu.n_physical_cores = 4;
  hw.cpu.n_logical_cpus = 8;
  hw.cpu.features = "avx2";
  hw.cpu.caches = {{1, "Data", 32768, 2}};
  hw.memory_total_bytes = 16 * kGiB;
  hw.platform = "Linux";
  hw.gpus.resize(1);
  hw.gpus[0].name = "Fake GPU";
  hw.gpus[0].memory_total_bytes = 24 * kGiB;
  hw.gpus[0].compute_capability_major = 8;
  hw.gpus[0].compute_capability_minor = 9;
  hw.gpus[0].n_cuda_cores = 16384;
  hw.memory_bandwidth = MemoryBandwidthInfo{50.0, 40.0, 4, 1700000000, true};
  hw.fingerprint = "0123456789abcdef";
  return hw;
}

Sample gpu_sample(int64_t ts_ms, double util, int clock, double temp) {
  Sample s;
  s.timestamp_ms = ts_ms;
  GpuSample g;
  g.utilization_percent = util;
  g.graphics_clock_mhz = clock;
  g.temperature_c = temp;
  g.power_w = util * 2;
  g.memory_used_bytes = 2 * kGiB;
  g.memory_total_bytes = 24 * kGiB;
  g.memory_utilization_percent = util / 2;
  s.gpus = {g};
  return s;
}

TEST(TelemetryJson, HardwareInfo) {
  HardwareInfo hw = hw_with_gpu();
  Sample s;
  s.memory.available_bytes = 4 * kGiB;
  s.memory.used_bytes = 12 * kGiB;
  s.memory.percent = 75.0;
  s.thermal_state = ThermalState::kFair;
  auto j = hardware_info_json(hw, &s);
  // The original API's flat fields.
  EXPECT_EQ(j["platform"], "Linux");
  EXPECT_EQ(j["architecture"], "x86_64");
  EXPECT_EQ(j["cpu_count"], 8);
  EXPECT_EQ(j["cpu_count_physical"], 4);
  EXPECT_EQ(j["chip_type"], "Test CPU");
  EXPECT_DOUBLE_EQ(j["total_memory_gb"].get<double>(), 16.0);
  EXPECT_DOUBLE_EQ(j["available_memory_gb"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["memory_percent"].get<double>(), 75.0);
  EXPECT_EQ(j["thermal_state"], "fair");
  EXPECT_DOUBLE_EQ(j["max_memory_bandwidth_gbps"].get<double>(), 50.0);
  EXPECT_EQ(j["gpu_cores"], 16384);
  // Structured.
  EXPECT_EQ(j["cpu"]["brand"], "Test CPU");
  EXPECT_EQ(j["cpu"]["cores_physical"], 4);
  EXPECT_EQ(j["cpu"]["features"], "avx2");
  EXPECT_EQ(j["cpu"]["caches"][0]["size_bytes"], 32768);
  EXPECT_DOUBLE_EQ(j["memory"]["available_gb"].get<double>(), 4.0);
  EXPECT_TRUE(j["memory"]["bandwidth"]["from_cache"].get<bool>());
  EXPECT_EQ(j["gpus"][0]["compute_capability"], "8.9");
  EXPECT_DOUBLE_EQ(j["gpus"][0]["memory_total_gb"].get<double>(), 24.0);
  EXPECT_EQ(j["fingerprint"], "0123456789abcdef");

  auto bare = hardware_info_json(HardwareInfo{}, nullptr);
  EXPECT_FALSE(bare.contains("available_memory_gb"));
  EXPECT_TRUE(bare["memory"]["bandwidth"].is_null());
  EXPECT_TRUE(bare["gpus"].empty());
}

TEST(TelemetryJson, Metrics) {
  HardwareInfo hw = hw_with_gpu();
  Sample s = gpu_sample(1700000000500, 60, 1500, 70);
  s.cpu.usage_percent = 37.5;
  s.cpu.per_core = {50, 25};
  s.memory.total_bytes = 16 * kGiB;
  s.memory.swap_total_bytes = 4 * kGiB;
  s.memory.swap_used_bytes = kGiB;
  s.process.rss_bytes = 512u << 20;
  s.process.n_threads = 9;
  s.process.n_open_files = 12;
  s.process.cpu_percent = 150.0;
  s.sensors = {{"k10temp Tctl", 55.0, 0, true}};
  s.cpu.temperature_c = 55.0;
  auto j = metrics_json(s, hw);
  EXPECT_DOUBLE_EQ(j["timestamp"].get<double>(), 1700000000.5);
  EXPECT_DOUBLE_EQ(j["cpu"]["usage_percent"].get<double>(), 37.5);
  EXPECT_EQ(j["cpu"]["usage_per_core"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["cpu"]["temperature_celsius"].get<double>(), 55.0);
  EXPECT_TRUE(j["cpu"]["throttle_count"].is_null());
  EXPECT_DOUBLE_EQ(j["memory"]["total_gb"].get<double>(), 16.0);
  EXPECT_DOUBLE_EQ(j["memory"]["swap_percent"].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(j["process"]["memory_mb"].get<double>(), 512.0);
  EXPECT_EQ(j["process"]["threads"], 9);
  EXPECT_EQ(j["process"]["open_files"], 12);
  EXPECT_DOUBLE_EQ(j["process"]["cpu_percent"].get<double>(), 150.0);
  EXPECT_EQ(j["thermal_state"], "nominal");
  EXPECT_EQ(j["thermal"]["thermal_state"], "nominal");
  EXPECT_EQ(j["thermal"]["sensors"][0]["name"], "k10temp Tctl");
  EXPECT_DOUBLE_EQ(j["gpu"]["utilization_percent"].get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(j["gpu"]["memory_bandwidth_percent"].get<double>(), 30.0);
  EXPECT_EQ(j["gpus"][0]["name"], "Fake GPU");
  EXPECT_TRUE(j["disk"].is_null());
  EXPECT_TRUE(j["network"].is_null());
  EXPECT_TRUE(metrics_json(Sample{}, hw)["gpu"].is_null());
}

TEST(TelemetryJson, GpuWindowAndPeaks) {
  HardwareInfo hw = hw_with_gpu();
  const int64_t t0 = 1700000000000;
  // Old (outside the minute): the peak utilization; then three recent samples.
  std::vector<Sample> h = {gpu_sample(t0, 100, 1900, 85), gpu_sample(t0 + 61000, 30, 1500, 60),
                           gpu_sample(t0 + 90000, 60, 1600, 65), gpu_sample(t0 + 120000, 90, 1700, 70)};
  h.back().gpus[0].throttle_reasons = 0x4;
  auto j = gpu_metrics_json(h, hw);
  EXPECT_EQ(j["history_size"], 4);
  ASSERT_EQ(j["gpus"].size(), 1u);
  EXPECT_EQ(j["gpus"][0]["name"], "Fake GPU");
  const auto& cur = j["current"];
  EXPECT_DOUBLE_EQ(cur["timestamp"].get<double>(), (t0 + 120000) / 1000.0);
  EXPECT_DOUBLE_EQ(cur["gpu_utilization_percent"].get<double>(), 90.0);
  EXPECT_EQ(cur["gpu_frequency_mhz"], 1700);
  EXPECT_DOUBLE_EQ(cur["power_watts"].get<double>(), 180.0);
  EXPECT_EQ(cur["throttle_reasons"], nlohmann::json::array({"sw_power_cap"}));
  const auto& avg = j["average_1min"];
  EXPECT_EQ(avg["n_samples"], 3);  // t0 + 61 s .. t0 + 120 s
  EXPECT_DOUBLE_EQ(avg["gpu_utilization_percent"].get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(avg["gpu_frequency_mhz"].get<double>(), 1600.0);
  EXPECT_DOUBLE_EQ(avg["temperature_celsius"].get<double>(), 65.0);
  EXPECT_DOUBLE_EQ(avg["memory_bandwidth_percent"].get<double>(), 30.0);
  const auto& peak = j["peak"];
  EXPECT_DOUBLE_EQ(peak["gpu_utilization_percent"].get<double>(), 100.0);
  EXPECT_EQ(peak["gpu_frequency_mhz"], 1900);
  EXPECT_DOUBLE_EQ(peak["temperature_celsius"].get<double>(), 85.0);
  EXPECT_DOUBLE_EQ(peak["timestamp"].get<double>(), t0 / 1000.0);
  EXPECT_EQ(gpu_metrics_json({}, hw)["history_size"], 0);
}

TEST(TelemetryJson, OptimizationAndPerformanceMode) {
  HardwareInfo hw = hw_with_gpu();
  OptimizationView v{&hw, {{"thermal", "high", "hot", "set_efficiency_mode"}}, PerformanceMode::kBalanced,
                     {{"n_threads", 4}}, {{"m", 500'000'000, 0, false}}};
  auto j = optimization_json(v);
  EXPECT_EQ(j["current_performance_mode"], "balanced");
  EXPECT_EQ(j["chip_type"], "Test CPU");
  EXPECT_EQ(j["recommendations"][0]["action"], "set_efficiency_mode");
  EXPECT_EQ(j["settings"]["n_threads"], 4);
  EXPECT_DOUBLE_EQ(j["models"][0]["decode_tokens_per_s_bound"].get<double>(), 100.0);  // 50 GB/s / 0.5 GB
  EXPECT_DOUBLE_EQ(j["hardware_capabilities"]["max_memory_bandwidth_gbps"].get<double>(), 50.0);
  EXPECT_EQ(j["hardware_capabilities"]["recommended_threads"], 4);
  EXPECT_TRUE(j["hardware_capabilities"]["supports_cuda"].get<bool>());
  v.mode.reset();
  EXPECT_TRUE(optimization_json(v)["current_performance_mode"].is_null());

  auto m = performance_mode_json(PerformanceMode::kEfficiency, {{"n_threads", 2}}, {{"n_threads", 4, 2}});
  EXPECT_EQ(m["mode"], "efficiency");
  EXPECT_EQ(m["settings"]["n_threads"], 2);
  EXPECT_EQ(m["changed"][0]["setting"], "n_threads");
  EXPECT_EQ(m["changed"][0]["before"], 4);
  EXPECT_EQ(m["changed"][0]["after"], 2);
}

}  // namespace
}  // namespace impetus::telemetry
