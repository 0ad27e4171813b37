// The rules, in the order they are reported:
//   memory      RAM used >= 90% (high) or >= 80% (medium)      -> unload_models
//               swap in use > 1 GiB (medium)                    -> reduce_memory
//               CPU-resident models (weights + KV) > 95% of RAM (high)
//               or > 80% (medium)                               -> use_smaller_quantization
//   gpu_memory  a GPU's memory >= 95% used (high)               -> unload_models
//               GPU-resident models larger than all GPU memory  -> use_smaller_quantization
//   threads     n_threads > usable CPUs (high), > physical cores
//               (medium: SMT siblings only contend)             -> reduce_threads
//               performance mode with fewer threads than cores  -> increase_threads (info)
//   thermal     serious / critical and not in efficiency mode (high) -> set_efficiency_mode
//               fair (info)                                     -> monitor_thermal
//   cpu         CPU >= 90% busy (medium); "other processes" when
//               this process accounts for under half of it      -> reduce_load
//   gpu         a GPU held back by power cap or slowdown (medium) -> check_gpu_cooling
#include "telemetry/recommendations.h"

#include <algorithm>
#include <cstdio>

namespace impetus::telemetry {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string fmt(const char* format, double a, double b = 0.0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, a, b);
  return buf;
}

void memory_rules(const RecommendationInputs& in, std::vector<Recommendation>& out) {
  const HardwareInfo& hw = *in.hardware;
  if (in.latest) {
    const MemorySample& m = in.latest->memory;
    if (m.percent >= 80.0) {
      out.push_back({"memory", m.percent >= 90.0 ? "high" : "medium",
                     fmt("Memory is %.0f%% used (%.1f GB available). Consider unloading unused models.", m.percent,
                         static_cast<double>(m.available_bytes) / kGiB),
                     "unload_models"});
    }
    if (m.swap_used_bytes > (uint64_t{1} << 30)) {
      out.push_back({"memory", "medium",
                     fmt("%.1f GB of swap in use: paging slows generation sharply.",
                         static_cast<double>(m.swap_used_bytes) / kGiB),
                     "reduce_memory"});
    }
  }
  uint64_t cpu_models = 0;
  for (const auto& model : in.models) {
    if (!model.on_gpu) cpu_models += model.weight_bytes + model.kv_cache_bytes;
  }
  if (hw.memory_total_bytes > 0 && cpu_models > 0) {
    const double share = static_cast<double>(cpu_models) / static_cast<double>(hw.memory_total_bytes);
    if (share > 0.8) {
      out.push_back({"memory", share > 0.95 ? "high" : "medium",
                     fmt("Loaded models need %.1f GB, %.0f%% of RAM: little headroom; weights may be paged from disk.",
                         static_cast<double>(cpu_models) / kGiB, 100.0 * share),
                     "use_smaller_quantization"});
    }
  }
}

void gpu_memory_rules(const RecommendationInputs& in, std::vector<Recommendation>& out) {
  uint64_t gpu_total = 0, gpu_models = 0;
  for (const auto& g : in.hardware->gpus) gpu_total += g.memory_total_bytes;
  for (const auto& model : in.models) {
    if (model.on_gpu) gpu_models += model.weight_bytes + model.kv_cache_bytes;
  }
  if (in.latest) {
    for (const auto& g : in.latest->gpus) {
      if (g.memory_total_bytes == 0) continue;
      const double pct = 100.0 * static_cast<double>(g.memory_used_bytes) / static_cast<double>(g.memory_total_bytes);
      if (pct >= 95.0) {
        out.push_back({"gpu_memory", "high", fmt("GPU %.0f memory is %.0f%% used.", g.index, pct), "unload_models"});
      }
    }
  }
  if (gpu_total > 0 && gpu_models > gpu_total) {
    out.push_back({"gpu_memory", "high",
                   fmt("GPU models need %.1f GB but the GPUs have %.1f GB.", static_cast<double>(gpu_models) / kGiB,
                       static_cast<double>(gpu_total) / kGiB),
                   "use_smaller_quantization"});
  }
}

void thread_rules(const RecommendationInputs& in, std::vector<Recommendation>& out) {
  const CpuDescription& cpu = in.hardware->cpu;
  int64_t n_threads = 0;
  for (const auto& [name, value] : in.settings) {
    if (name == "n_threads") n_threads = value;
  }
  if (n_threads <= 0) return;
  const double t = static_cast<double>(n_threads);
  if (cpu.n_usable_cpus > 0 && n_threads > cpu.n_usable_cpus) {
    out.push_back({"threads", "high",
                   fmt("%.0f threads but only %.0f CPUs are usable by this process: threads wait on each other.", t,
                       cpu.n_usable_cpus),
                   "reduce_threads"});
  } else if (cpu.n_physical_cores > 0 && n_threads > cpu.n_physical_cores) {
    out.push_back({"threads", "medium",
                   fmt("%.0f threads on %.0f physical cores: SMT siblings share the memory bandwidth decode needs.",
                       t, cpu.n_physical_cores),
                   "reduce_threads"});
  } else if (in.mode == PerformanceMode::kPerformance && n_threads < cpu.n_physical_cores) {
    out.push_back({"threads", "info",
                   fmt("Performance mode uses %.0f of %.0f physical cores.", t, cpu.n_physical_cores),
                   "increase_threads"});
  }
}

void thermal_rules(const RecommendationInputs& in, std::vector<Recommendation>& out) {
  if (!in.latest) return;
  const ThermalState s = in.latest->thermal_state;
  if (s >= ThermalState::kSerious && in.mode != PerformanceMode::kEfficiency) {
    out.push_back({"thermal", "high",
                   "Thermal state is " + std::string(thermal_state_name(s)) +
                       ". Switching to efficiency mode is recommended.",
                   "set_efficiency_mode"});
  } else if (s == ThermalState::kFair) {
    out.push_back({"thermal", "info", "The machine is warm (thermal state fair).", "monitor_thermal"});
  }
}

void load_rules(const RecommendationInputs& in, std::vector<Recommendation>& out) {
  if (!in.latest) return;
  const double usage = in.latest->cpu.usage_percent;
  if (usage < 90.0) return;
  const int n_cpus = std::max(1, in.hardware->cpu.n_logical_cpus);
  const double ours = in.latest->process.cpu_percent / n_cpus;  // share of the whole machine
  if (ours < usage / 2) {
    out.push_back({"cpu", "medium",
                   fmt("CPU is %.0f%% busy, mostly by other processes (this server: %.0f%%).", usage, ours),
                   "reduce_load"});
  } else {
    out.push_back({"cpu", "medium",
                   fmt("CPU is %.0f%% busy. Consider reducing batch size or concurrent requests.", usage),
                   "reduce_load"});
  }
}

void gpu_throttle_rules(const RecommendationInputs& in, std::vector<Recommendation>& out) {
  if (!in.latest) return;
  for (const auto& g : in.latest->gpus) {
    if (throttle_is_hw_slowdown(g.throttle_reasons) || throttle_is_sw_thermal(g.throttle_reasons)) {
      out.push_back({"gpu", "medium", fmt("GPU %.0f clocks are held back by heat or power.", g.index),
                     "check_gpu_cooling"});
    }
  }
}

}  // namespace

std::vector<Recommendation> recommend(const RecommendationInputs& in) {
  std::vector<Recommendation> out;
  if (!in.hardware) return out;
  memory_rules(in, out);
  gpu_memory_rules(in, out);
  thread_rules(in, out);
  thermal_rules(in, out);
  load_rules(in, out);
  gpu_throttle_rules(in, out);
  return out;
}

double decode_tokens_per_s_bound(double read_gbps, uint64_t weight_bytes) {
  if (read_gbps <= 0.0 || weight_bytes == 0) return 0.0;
  return read_gbps * 1e9 / static_cast<double>(weight_bytes);
}

}  // namespace impetus::telemetry
