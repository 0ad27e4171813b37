#include "telemetry/telemetry_json.h"

#include <algorithm>

namespace impetus::telemetry {
namespace {

using json = nlohmann::json;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

double gb(uint64_t bytes) { return static_cast<double>(bytes) / kGiB; }
double mb(uint64_t bytes) { return static_cast<double>(bytes) / kMiB; }
double seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

uint64_t gpu_cuda_cores(const HardwareInfo& hw) {
  uint64_t n = 0;
  for (const auto& g : hw.gpus) n += static_cast<uint64_t>(g.n_cuda_cores);
  return n;
}

std::string gpu_name(const HardwareInfo& hw, int index) {
  for (const auto& g : hw.gpus) {
    if (g.index == index) return g.name;
  }
  return "";
}

json cpu_info_json(const CpuDescription& c) {
  json caches = json::array();
  for (const auto& k : c.caches) {
    caches.push_back({{"level", k.level}, {"type", k.type}, {"size_bytes", k.size_bytes},
                      {"shared_cpus", k.n_shared_cpus}});
  }
  return {{"brand", c.model},
          {"vendor", c.vendor},
          {"architecture", c.architecture},
          {"cores_physical", c.n_physical_cores},
          {"cores_logical", c.n_logical_cpus},
          {"cores_usable", c.n_usable_cpus},
          {"frequency_mhz", c.frequency_mhz},
          {"frequency_max_mhz", c.frequency_max_mhz},
          {"frequency_min_mhz", c.frequency_min_mhz},
          {"features", c.features},
          {"l1d_bytes", c.l1d_bytes},
          {"l2_bytes", c.l2_bytes},
          {"l3_bytes", c.l3_bytes},
          {"caches", caches}};
}

json gpu_info_json(const GpuDescription& g) {
  return {{"index", g.index},
          {"name", g.name},
          {"uuid", g.uuid},
          {"memory_total_gb", gb(g.memory_total_bytes)},
          {"memory_total_bytes", g.memory_total_bytes},
          {"sm_count", g.sm_count},
          {"cuda_cores", g.n_cuda_cores},
          {"compute_capability", g.compute_capability_major > 0 ? std::to_string(g.compute_capability_major) + "." +
                                                                      std::to_string(g.compute_capability_minor)
                                                                : ""},
          {"power_limit_watts", g.power_limit_w},
          {"max_graphics_clock_mhz", g.max_graphics_clock_mhz},
          {"max_memory_clock_mhz", g.max_memory_clock_mhz},
          {"slowdown_temperature_celsius", g.slowdown_temperature_c},
          {"shutdown_temperature_celsius", g.shutdown_temperature_c}};
}

json bandwidth_json(const std::optional<MemoryBandwidthInfo>& b) {
  if (!b) return nullptr;
  return {{"read_gbps", b->read_gbps}, {"copy_gbps", b->copy_gbps}, {"n_threads", b->n_threads},
          {"measured_at", b->measured_at}, {"from_cache", b->from_cache}};
}

json thermal_json(const Sample& s) {
  json sensors = json::array();
  for (const auto& t : s.sensors) {
    sensors.push_back({{"name", t.name}, {"temperature_celsius", t.celsius},
                       {"critical_celsius", t.critical_c}, {"cpu", t.cpu}});
  }
  return {{"thermal_state", thermal_state_name(s.thermal_state)},
          {"thermal_pressure", s.thermal_pressure},
          {"fan_speed_rpm", 0},
          {"cpu_temperature_celsius", opt(s.cpu.temperature_c)},
          {"sensors", sensors}};
}

}  // namespace

json hardware_info_json(const HardwareInfo& hw, const Sample* latest) {
  json gpus = json::array();
  for (const auto& g : hw.gpus) gpus.push_back(gpu_info_json(g));
  const double bw = hw.memory_bandwidth ? hw.memory_bandwidth->read_gbps : 0.0;
  json j = {
      // The original API's flat fields.
      {"platform", hw.platform},
      {"platform_version", hw.platform_version},
      {"architecture", hw.cpu.architecture},
      {"processor", hw.cpu.model},
      {"cpu_name", hw.cpu.model},
      {"chip_type", hw.cpu.model},
      {"cpu_count", hw.cpu.n_logical_cpus},
      {"cpu_count_physical", hw.cpu.n_physical_cores},
      {"performance_cores", hw.cpu.n_physical_cores},
      {"efficiency_cores", 0},
      {"gpu_cores", gpu_cuda_cores(hw)},
      {"max_memory_bandwidth_gbps", bw},
      {"total_memory_gb", gb(hw.memory_total_bytes)},
      // Structured.
      {"cpu", cpu_info_json(hw.cpu)},
      {"memory", {{"total_gb", gb(hw.memory_total_bytes)}, {"total_bytes", hw.memory_total_bytes},
                  {"bandwidth", bandwidth_json(hw.memory_bandwidth)}}},
      {"gpus", gpus},
      {"gpu_driver_version", hw.gpu_driver_version},
      {"hostname", hw.hostname},
      {"fingerprint", hw.fingerprint},
  };
  if (latest) {
    const MemorySample& m = latest->memory;
    j["available_memory_gb"] = gb(m.available_bytes);
    j["used_memory_gb"] = gb(m.used_bytes);
    j["memory_percent"] = m.percent;
    j["memory"]["available_gb"] = gb(m.available_bytes);
    j["memory"]["available_bytes"] = m.available_bytes;
    j["thermal_state"] = thermal_state_name(latest->thermal_state);
    j["thermal_pressure"] = latest->thermal_pressure;
    j["fan_speed_rpm"] = 0;
  }
  return j;
}

json gpu_sample_json(const GpuSample& g, const HardwareInfo& hw) {
  json reasons = json::array();
  for (auto& r : throttle_reason_names(g.throttle_reasons)) reasons.push_back(r);
  return {{"index", g.index},
          {"name", gpu_name(hw, g.index)},
          {"utilization_percent", g.utilization_percent},
          {"memory_utilization_percent", g.memory_utilization_percent},
          {"memory_used_gb", gb(g.memory_used_bytes)},
          {"memory_total_gb", gb(g.memory_total_bytes)},
          {"memory_used_bytes", g.memory_used_bytes},
          {"memory_total_bytes", g.memory_total_bytes},
          {"temperature_celsius", g.temperature_c},
          {"power_watts", g.power_w},
          {"power_limit_watts", g.power_limit_w},
          {"frequency_mhz", g.graphics_clock_mhz},
          {"sm_clock_mhz", g.sm_clock_mhz},
          {"memory_clock_mhz", g.memory_clock_mhz},
          {"throttle_reasons", reasons}};
}

json metrics_json(const Sample& s, const HardwareInfo& hw) {
  json per_core = json::array();
  for (double p : s.cpu.per_core) per_core.push_back(p);
  const MemorySample& m = s.memory;
  json gpus = json::array();
  for (const auto& g : s.gpus) gpus.push_back(gpu_sample_json(g, hw));
  json gpu = nullptr;
  if (!s.gpus.empty()) {
    const GpuSample& g = s.gpus.front();
    gpu = {{"utilization_percent", g.utilization_percent}, {"frequency_mhz", g.graphics_clock_mhz},
           {"memory_used_gb", gb(g.memory_used_bytes)},     {"memory_total_gb", gb(g.memory_total_bytes)},
           {"memory_bandwidth_percent", g.memory_utilization_percent},
           {"temperature_celsius", g.temperature_c},        {"power_watts", g.power_w}};
  }
  json disk = nullptr;
  if (s.disk && s.disk->total_bytes > 0) {
    const DiskSample& d = *s.disk;
    disk = {{"path", d.path}, {"total_gb", gb(d.total_bytes)}, {"used_gb", gb(d.used_bytes)},
            {"free_gb", gb(d.free_bytes)},
            {"percent", 100.0 * static_cast<double>(d.used_bytes) / static_cast<double>(d.total_bytes)}};
  }
  json network = nullptr;
  if (s.network) {
    network = {{"bytes_sent_mb", mb(s.network->bytes_sent)}, {"bytes_recv_mb", mb(s.network->bytes_recv)},
               {"packets_sent", s.network->packets_sent}, {"packets_recv", s.network->packets_recv}};
  }
  return {
      {"timestamp", seconds(s.timestamp_ms)},
      {"cpu", {{"usage_percent", s.cpu.usage_percent}, {"usage_per_core", per_core},
               {"frequency_mhz", s.cpu.frequency_mhz}, {"frequency_min_mhz", hw.cpu.frequency_min_mhz},
               {"frequency_max_mhz", hw.cpu.frequency_max_mhz}, {"temperature_celsius", opt(s.cpu.temperature_c)},
               {"throttle_count", opt(s.cpu.throttle_count)}, {"load_average", s.cpu.load_average}}},
      {"memory", {{"total_gb", gb(m.total_bytes)}, {"available_gb", gb(m.available_bytes)},
                  {"used_gb", gb(m.used_bytes)}, {"percent", m.percent}, {"swap_used_gb", gb(m.swap_used_bytes)},
                  {"swap_percent", m.swap_total_bytes ? 100.0 * static_cast<double>(m.swap_used_bytes) /
                                                            static_cast<double>(m.swap_total_bytes)
                                                      : 0.0},
                  {"total_bytes", m.total_bytes}, {"available_bytes", m.available_bytes}}},
      {"gpu", gpu},
      {"gpus", gpus},
      {"disk", disk},
      {"network", network},
      {"thermal", thermal_json(s)},
      {"thermal_state", thermal_state_name(s.thermal_state)},
      {"process", {{"cpu_percent", s.process.cpu_percent}, {"memory_mb", mb(s.process.rss_bytes)},
                   {"rss_bytes", s.process.rss_bytes}, {"virtual_memory_mb", mb(s.process.virtual_bytes)},
                   {"threads", s.process.n_threads}, {"open_files", s.process.n_open_files}}},
  };
}

namespace {

json gpu_current_json(const GpuSample& g, int64_t ts_ms) {
  json reasons = json::array();
  for (auto& r : throttle_reason_names(g.throttle_reasons)) reasons.push_back(r);
  return {{"timestamp", seconds(ts_ms)},
          {"gpu_utilization_percent", g.utilization_percent},
          {"gpu_frequency_mhz", g.graphics_clock_mhz},
          {"sm_clock_mhz", g.sm_clock_mhz},
          {"memory_clock_mhz", g.memory_clock_mhz},
          {"memory_used_gb", gb(g.memory_used_bytes)},
          {"memory_total_gb", gb(g.memory_total_bytes)},
          {"memory_bandwidth_percent", g.memory_utilization_percent},
          {"temperature_celsius", g.temperature_c},
          {"power_watts", g.power_w},
          {"throttle_reasons", reasons}};
}

// Mean over the samples of the last minute and peaks over the whole history, for GPU `index`.
std::pair<json, json> gpu_window_json(const std::vector<Sample>& history, int index) {
  const int64_t cutoff = history.back().timestamp_ms - 60000;
  double util = 0, freq = 0, membw = 0, temp = 0, power = 0, mem = 0;
  int n = 0;
  GpuSample peak;
  int64_t peak_ts = 0;
  bool any = false;
  for (const Sample& s : history) {
    for (const GpuSample& g : s.gpus) {
      if (g.index != index) continue;
      if (!any || g.utilization_percent > peak.utilization_percent) {
        peak.utilization_percent = g.utilization_percent;
        peak_ts = s.timestamp_ms;
      }
      peak.graphics_clock_mhz = std::max(peak.graphics_clock_mhz, g.graphics_clock_mhz);
      peak.temperature_c = std::max(peak.temperature_c, g.temperature_c);
      peak.power_w = std::max(peak.power_w, g.power_w);
      peak.memory_used_bytes = std::max(peak.memory_used_bytes, g.memory_used_bytes);
      any = true;
      if (s.timestamp_ms < cutoff) continue;
      util += g.utilization_percent;
      freq += g.graphics_clock_mhz;
      membw += g.memory_utilization_percent;
      temp += g.temperature_c;
      power += g.power_w;
      mem += static_cast<double>(g.memory_used_bytes);
      ++n;
    }
  }
  const double k = n > 0 ? 1.0 / n : 0.0;
  json avg = {{"gpu_utilization_percent", util * k}, {"gpu_frequency_mhz", freq * k},
              {"memory_bandwidth_percent", membw * k}, {"temperature_celsius", temp * k},
              {"power_watts", power * k}, {"memory_used_gb", mem * k / kGiB}, {"n_samples", n}};
  json pk = {{"gpu_utilization_percent", peak.utilization_percent}, {"gpu_frequency_mhz", peak.graphics_clock_mhz},
             {"temperature_celsius", peak.temperature_c}, {"power_watts", peak.power_w},
             {"memory_used_gb", gb(peak.memory_used_bytes)}, {"timestamp", seconds(peak_ts)}};
  return {avg, pk};
}

}  // namespace

json gpu_metrics_json(const std::vector<Sample>& history, const HardwareInfo& hw) {
  json per_gpu = json::array();
  if (history.empty()) return {{"history_size", 0}, {"gpus", per_gpu}};
  const Sample& last = history.back();
  for (const GpuSample& g : last.gpus) {
    auto [avg, peak] = gpu_window_json(history, g.index);
    per_gpu.push_back({{"index", g.index}, {"name", gpu_name(hw, g.index)},
                       {"current", gpu_current_json(g, last.timestamp_ms)}, {"average_1min", avg}, {"peak", peak}});
  }
  json j = {{"history_size", history.size()}, {"gpus", per_gpu}};
  j["current"] = per_gpu.empty() ? json(nullptr) : per_gpu[0]["current"];
  j["average_1min"] = per_gpu.empty() ? json(nullptr) : per_gpu[0]["average_1min"];
  j["peak"] = per_gpu.empty() ? json(nullptr) : per_gpu[0]["peak"];
  return j;
}

json optimization_json(const OptimizationView& v) {
  const HardwareInfo& hw = *v.hardware;
  json recs = json::array();
  for (const auto& r : v.recommendations) {
    recs.push_back({{"type", r.type}, {"severity", r.severity}, {"message", r.message}, {"action", r.action}});
  }
  const double bw = hw.memory_bandwidth ? hw.memory_bandwidth->read_gbps : 0.0;
  json models = json::array();
  for (const auto& m : v.models) {
    models.push_back({{"id", m.id}, {"weights_gb", gb(m.weight_bytes)}, {"kv_cache_gb", gb(m.kv_cache_bytes)},
                      {"on_gpu", m.on_gpu},
                      {"decode_tokens_per_s_bound", m.on_gpu ? 0.0 : decode_tokens_per_s_bound(bw, m.weight_bytes)}});
  }
  json settings = json::object();
  for (const auto& [name, value] : v.settings) settings[name] = value;
  return {{"current_performance_mode", v.mode ? json(performance_mode_name(*v.mode)) : json(nullptr)},
          {"chip_type", hw.cpu.model},
          {"recommendations", recs},
          {"settings", settings},
          {"models", models},
          {"hardware_capabilities",
           {{"max_memory_bandwidth_gbps", bw},
            {"memory_bandwidth_measured", hw.memory_bandwidth.has_value()},
            {"physical_cores", hw.cpu.n_physical_cores},
            {"recommended_threads", mode_profile(PerformanceMode::kBalanced, hw.cpu.n_physical_cores).n_threads},
            {"gpu_count", hw.gpus.size()},
            {"supports_cuda", !hw.gpus.empty()},
            {"supports_metal", false},
            {"isa_features", hw.cpu.features}}}};
}

json performance_mode_json(PerformanceMode mode, const std::vector<std::pair<std::string, int64_t>>& settings,
                           const std::vector<SettingChange>& changes) {
  json s = json::object();
  for (const auto& [name, value] : settings) s[name] = value;
  json c = json::array();
  for (const auto& ch : changes) c.push_back({{"setting", ch.name}, {"before", ch.before}, {"after", ch.after}});
  return {{"mode", performance_mode_name(mode)}, {"settings", s}, {"changed", c}};
}

}  // namespace impetus::telemetry
