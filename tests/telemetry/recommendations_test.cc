// The optimization rules of recommendations.cc, one situation at a time,
// and performance-mode names and profiles.
#include "telemetry/recommendations.h"

#include <gtest/gtest.h>

namespace impetus::telemetry {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;

HardwareInfo machine(int physical = 8, int logical = 16, uint64_t ram = 32 * kGiB) {
  HardwareInfo hw;
  hw.cpu.model = "Test CPU";
  hw.cpu.n_physical_cores = physical;
  hw.cpu.n_logical_cpus = logical;
  hw.cpu.n_usable_cpus = logical;
  hw.memory_total_bytes = ram;
  return hw;
}

Sample calm(uint64_t ram = 32 * kGiB) {
  Sample s;
  s.memory.total_bytes = ram;
  s.memory.available_bytes = ram / 2;
  s.memory.used_bytes = ram / 2;
  s.memory.percent = 50.0;
  s.cpu.usage_percent = 10.0;
  return s;
}

std::vector<std::string> actions(const std::vector<Recommendation>& recs) {
  std::vector<std::string> out;
  for (const auto& r : recs) out.push_back(r.type + ":" + r.severity + ":" + r.action);
  return out;
}

TEST(Recommendations, CalmMachineNeedsNothing) {
  HardwareInfo hw = machine();
  Sample s = calm();
  RecommendationInputs in{&hw, &s, {{"m", 4 * kGiB, kGiB, false}}, PerformanceMode::kBalanced, {{"n_threads", 8}}};
  EXPECT_TRUE(recommend(in).empty());
  in.latest = nullptr;  // before the first sample
  EXPECT_TRUE(recommend(in).empty());
  EXPECT_TRUE(recommend(RecommendationInputs{}).empty());
}

TEST(Recommendations, Memory) {
  HardwareInfo hw = machine();
  Sample s = calm();
  s.memory.percent = 85.0;
  RecommendationInputs in{&hw, &s, {}, std::nullopt, {}};
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"memory:medium:unload_models"});
  s.memory.percent = 93.0;
  s.memory.swap_used_bytes = 2 * kGiB;
  EXPECT_EQ(actions(recommend(in)),
            (std::vector<std::string>{"memory:high:unload_models", "memory:medium:reduce_memory"}));
}

TEST(Recommendations, ModelHeadroom) {
  HardwareInfo hw = machine(8, 16, 16 * kGiB);
  Sample s = calm(16 * kGiB);
  RecommendationInputs in{&hw, &s, {{"big", 13 * kGiB, kGiB, false}}, std::nullopt, {}};  // 87.5% of RAM
  auto recs = recommend(in);
  EXPECT_EQ(actions(recs), std::vector<std::string>{"memory:medium:use_smaller_quantization"});
  EXPECT_NE(recs[0].message.find("14.0 GB"), std::string::npos) << recs[0].message;
  in.models[0].weight_bytes = 15 * kGiB + kGiB / 2;  // 103% of RAM
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"memory:high:use_smaller_quantization"});
  in.models[0].on_gpu = true;  // GPU models do not count against RAM
  EXPECT_TRUE(recommend(in).empty());
}

TEST(Recommendations, GpuMemory) {
  HardwareInfo hw = machine();
  hw.gpus.resize(1);
  hw.gpus[0].memory_total_bytes = 24 * kGiB;
  Sample s = calm();
  GpuSample g;
  g.memory_total_bytes = 24 * kGiB;
  g.memory_used_bytes = 23 * kGiB + kGiB / 2;  // 97.9%
  s.gpus = {g};
  RecommendationInputs in{&hw, &s, {{"m", 30 * kGiB, 0, true}}, std::nullopt, {}};
  EXPECT_EQ(actions(recommend(in)),
            (std::vector<std::string>{"gpu_memory:high:unload_models", "gpu_memory:high:use_smaller_quantization"}));
}

TEST(Recommendations, Threads) {
  HardwareInfo hw = machine(8, 16);
  Sample s = calm();
  RecommendationInputs in{&hw, &s, {}, PerformanceMode::kBalanced, {{"n_threads", 12}}};
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"threads:medium:reduce_threads"});
  in.settings = {{"n_threads", 20}};
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"threads:high:reduce_threads"});
  hw.cpu.n_usable_cpus = 4;  // a cgroup or taskset limit
  in.settings = {{"n_threads", 6}};
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"threads:high:reduce_threads"});
  hw.cpu.n_usable_cpus = 16;
  in.settings = {{"n_threads", 4}};
  EXPECT_TRUE(recommend(in).empty());  // balanced: fewer threads is a choice
  in.mode = PerformanceMode::kPerformance;
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"threads:info:increase_threads"});
}

TEST(Recommendations, Thermal) {
  HardwareInfo hw = machine();
  Sample s = calm();
  RecommendationInputs in{&hw, &s, {}, PerformanceMode::kPerformance, {}};
  s.thermal_state = ThermalState::kFair;
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"thermal:info:monitor_thermal"});
  s.thermal_state = ThermalState::kCritical;
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"thermal:high:set_efficiency_mode"});
  in.mode = PerformanceMode::kEfficiency;  // already there
  EXPECT_TRUE(recommend(in).empty());
}

TEST(Recommendations, CpuLoadAndGpuThrottle) {
  HardwareInfo hw = machine(2, 4);
  Sample s = calm();
  s.cpu.usage_percent = 95.0;
  s.process.cpu_percent = 40.0;  // 10% of 4 CPUs: someone else is busy
  RecommendationInputs in{&hw, &s, {}, std::nullopt, {}};
  auto recs = recommend(in);
  EXPECT_EQ(actions(recs), std::vector<std::string>{"cpu:medium:reduce_load"});
  EXPECT_NE(recs[0].message.find("other processes"), std::string::npos);
  s.process.cpu_percent = 380.0;  // it is us
  recs = recommend(in);
  EXPECT_EQ(recs[0].message.find("other processes"), std::string::npos);
  s.cpu.usage_percent = 10.0;
  GpuSample g;
  g.throttle_reasons = 0x4 | 0x8;  // sw power cap + hw slowdown
  s.gpus = {g};
  EXPECT_EQ(actions(recommend(in)), std::vector<std::string>{"gpu:medium:check_gpu_cooling"});
  s.gpus[0].throttle_reasons = 0x1;  // idle is no problem
  EXPECT_TRUE(recommend(in).empty());
}

TEST(Recommendations, DecodeBound) {
  EXPECT_DOUBLE_EQ(decode_tokens_per_s_bound(60.0, 600'000'000), 100.0);
  EXPECT_EQ(decode_tokens_per_s_bound(0.0, 1), 0.0);
  EXPECT_EQ(decode_tokens_per_s_bound(60.0, 0), 0.0);
}

TEST(PerformanceMode, NamesAndProfiles) {
  for (PerformanceMode m : {PerformanceMode::kEfficiency, PerformanceMode::kBalanced, PerformanceMode::kPerformance}) {
    EXPECT_EQ(parse_performance_mode(performance_mode_name(m)), m);
  }
  EXPECT_FALSE(parse_performance_mode("turbo"));
  EXPECT_FALSE(parse_performance_mode("Balanced"));
  EXPECT_FALSE(parse_performance_mode(""));
  EXPECT_EQ(mode_profile(PerformanceMode::kEfficiency, 16).n_threads, 8);
  EXPECT_EQ(mode_profile(PerformanceMode::kEfficiency, 16).batch_scale, 0.5);
  EXPECT_EQ(mode_profile(PerformanceMode::kBalanced, 16).n_threads, 14);
  EXPECT_EQ(mode_profile(PerformanceMode::kPerformance, 16).n_threads, 16);
  EXPECT_EQ(mode_profile(PerformanceMode::kEfficiency, 1).n_threads, 1);
  EXPECT_EQ(mode_profile(PerformanceMode::kBalanced, 2).n_threads, 2);
  EXPECT_EQ(mode_profile(PerformanceMode::kPerformance, 0).n_threads, 1);
}

}  // namespace
}  // namespace impetus::telemetry
