#include "telemetry/nvml.h"

#include <dlfcn.h>

#include <cstdio>

#include "core/log.h"
#include "telemetry/nvml_api.h"

namespace impetus::telemetry {

namespace api = nvml_api;

// Resolved entry points; the first four are required, the rest may be null.
struct Nvml::Api {
  api::InitFn init = nullptr;
  api::ShutdownFn shutdown = nullptr;
  api::DeviceGetCountFn device_get_count = nullptr;
  api::DeviceGetHandleByIndexFn device_get_handle_by_index = nullptr;
  api::ErrorStringFn error_string = nullptr;
  api::SystemGetDriverVersionFn system_get_driver_version = nullptr;
  api::DeviceGetStringFn device_get_name = nullptr;
  api::DeviceGetStringFn device_get_uuid = nullptr;
  api::DeviceGetMemoryInfoFn device_get_memory_info = nullptr;
  api::DeviceGetMemoryInfoV2Fn device_get_memory_info_v2 = nullptr;  // optional
  api::DeviceGetUtilizationRatesFn device_get_utilization_rates = nullptr;
  api::DeviceGetTemperatureFn device_get_temperature = nullptr;
  api::DeviceGetTemperatureThresholdFn device_get_temperature_threshold = nullptr;
  api::DeviceGetUintFn device_get_power_usage = nullptr;
  api::DeviceGetUintFn device_get_enforced_power_limit = nullptr;
  api::DeviceGetUintFn device_get_num_gpu_cores = nullptr;
  api::DeviceGetClockFn device_get_clock_info = nullptr;
  api::DeviceGetClockFn device_get_max_clock_info = nullptr;
  api::DeviceGetThrottleReasonsFn device_get_throttle_reasons = nullptr;
  api::DeviceGetCudaComputeCapabilityFn device_get_cuda_compute_capability = nullptr;
  api::DeviceGetAttributesFn device_get_attributes = nullptr;

  std::string error(api::Return r) const {
    const char* s = error_string ? error_string(r) : nullptr;
    return s ? std::string(s) : "NVML error " + std::to_string(r);
  }
};

namespace {

template <typename Fn>
void resolve(void* handle, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
}

// CUDA cores per SM for the compute capabilities NVML may report; 0 = unknown.
int cores_per_sm(int major, int minor) {
  switch (major) {
    case 3: return 192;
    case 5: return 128;
    case 6: return minor == 0 ? 64 : 128;
    case 7: return 64;
    case 8: return minor == 0 ? 64 : 128;
    case 9: case 10: case 11: case 12: return 128;
    default: return 0;
  }
}

using Device = api::Device;

std::string read_string(api::DeviceGetStringFn fn, Device d, unsigned int size) {
  if (!fn) return "";
  std::string buf(size, '\0');
  if (fn(d, buf.data(), size) != api::kSuccess) return "";
  buf.resize(std::char_traits<char>::length(buf.c_str()));
  return buf;
}

unsigned int read_uint(api::DeviceGetUintFn fn, Device d) {
  unsigned int v = 0;
  if (!fn || fn(d, &v) != api::kSuccess) return 0;
  return v;
}

unsigned int read_indexed(api::DeviceGetClockFn fn, Device d, int which) {
  unsigned int v = 0;
  if (!fn || fn(d, which, &v) != api::kSuccess) return 0;
  return v;
}

std::unique_ptr<Nvml::Api> resolve_all(void* h) {
  auto a = std::make_unique<Nvml::Api>();
  resolve(h, "nvmlInit_v2", &a->init);
  resolve(h, "nvmlShutdown", &a->shutdown);
  resolve(h, "nvmlDeviceGetCount_v2", &a->device_get_count);
  resolve(h, "nvmlDeviceGetHandleByIndex_v2", &a->device_get_handle_by_index);
  resolve(h, "nvmlErrorString", &a->error_string);
  resolve(h, "nvmlSystemGetDriverVersion", &a->system_get_driver_version);
  resolve(h, "nvmlDeviceGetName", &a->device_get_name);
  resolve(h, "nvmlDeviceGetUUID", &a->device_get_uuid);
  resolve(h, "nvmlDeviceGetMemoryInfo", &a->device_get_memory_info);
  resolve(h, "nvmlDeviceGetMemoryInfo_v2", &a->device_get_memory_info_v2);
  resolve(h, "nvmlDeviceGetUtilizationRates", &a->device_get_utilization_rates);
  resolve(h, "nvmlDeviceGetTemperature", &a->device_get_temperature);
  resolve(h, "nvmlDeviceGetTemperatureThreshold", &a->device_get_temperature_threshold);
  resolve(h, "nvmlDeviceGetPowerUsage", &a->device_get_power_usage);
  resolve(h, "nvmlDeviceGetEnforcedPowerLimit", &a->device_get_enforced_power_limit);
  resolve(h, "nvmlDeviceGetNumGpuCores", &a->device_get_num_gpu_cores);
  resolve(h, "nvmlDeviceGetClockInfo", &a->device_get_clock_info);
  resolve(h, "nvmlDeviceGetMaxClockInfo", &a->device_get_max_clock_info);
  resolve(h, "nvmlDeviceGetCurrentClocksThrottleReasons", &a->device_get_throttle_reasons);
  resolve(h, "nvmlDeviceGetCudaComputeCapability", &a->device_get_cuda_compute_capability);
  resolve(h, "nvmlDeviceGetAttributes_v2", &a->device_get_attributes);
  if (!a->init || !a->shutdown || !a->device_get_count || !a->device_get_handle_by_index) return nullptr;
  return a;
}

}  // namespace

std::vector<std::string> throttle_reason_names(uint64_t reasons) {
  static constexpr std::pair<uint64_t, const char*> kNames[] = {
      {api::kThrottleGpuIdle, "gpu_idle"},
      {api::kThrottleApplicationsClocksSetting, "applications_clocks_setting"},
      {api::kThrottleSwPowerCap, "sw_power_cap"},
      {api::kThrottleHwSlowdown, "hw_slowdown"},
      {api::kThrottleSyncBoost, "sync_boost"},
      {api::kThrottleSwThermalSlowdown, "sw_thermal_slowdown"},
      {api::kThrottleHwThermalSlowdown, "hw_thermal_slowdown"},
      {api::kThrottleHwPowerBrakeSlowdown, "hw_power_brake_slowdown"},
      {api::kThrottleDisplayClockSetting, "display_clock_setting"},
  };
  std::vector<std::string> out;
  uint64_t known = 0;
  for (const auto& [bit, name] : kNames) {
    known |= bit;
    if (reasons & bit) out.emplace_back(name);
  }
  if (const uint64_t rest = reasons & ~known) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(rest));
    out.emplace_back(buf);
  }
  return out;
}

bool throttle_is_hw_slowdown(uint64_t reasons) {
  return (reasons & (api::kThrottleHwSlowdown | api::kThrottleHwThermalSlowdown |
                     api::kThrottleHwPowerBrakeSlowdown)) != 0;
}

bool throttle_is_sw_thermal(uint64_t reasons) {
  return (reasons & api::kThrottleSwThermalSlowdown) != 0;
}

std::unique_ptr<Nvml> Nvml::load(const std::string& library) {
  void* h = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    IMP_LOG(kDebug, "NVML not loaded (", library, "): no NVIDIA GPU telemetry");
    return nullptr;
  }
  auto a = resolve_all(h);
  if (!a) {
    IMP_LOG(kWarn, library, " lacks the NVML entry points; no GPU telemetry");
    dlclose(h);
    return nullptr;
  }
  if (api::Return r = a->init(); r != api::kSuccess) {
    IMP_LOG(kInfo, "NVML init failed (", a->error(r), "); no GPU telemetry");
    dlclose(h);
    return nullptr;
  }
  std::unique_ptr<Nvml> nvml(new Nvml(h, std::move(a)));
  if (nvml->devices_.empty()) return nullptr;  // the destructor shuts NVML down
  return nvml;
}

Nvml::Nvml(void* handle, std::unique_ptr<Api> api) : handle_(handle), api_(std::move(api)) {
  unsigned int n = 0;
  if (api_->device_get_count(&n) != api::kSuccess) n = 0;
  for (unsigned int i = 0; i < n; ++i) {
    Device d = nullptr;
    if (api_->device_get_handle_by_index(i, &d) == api::kSuccess) devices_.push_back(d);
  }
}

Nvml::~Nvml() {
  api_->shutdown();
  dlclose(handle_);
}

std::string Nvml::driver_version() const {
  if (!api_->system_get_driver_version) return "";
  char buf[api::kDriverVersionBufferSize] = {};
  if (api_->system_get_driver_version(buf, sizeof(buf)) != api::kSuccess) return "";
  return buf;
}

std::vector<GpuDescription> Nvml::describe() const {
  std::vector<GpuDescription> out;
  const Api& a = *api_;
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device d = static_cast<Device>(devices_[i]);
    GpuDescription g;
    g.index = static_cast<int>(i);
    g.name = read_string(a.device_get_name, d, api::kDeviceNameBufferSize);
    g.uuid = read_string(a.device_get_uuid, d, api::kDeviceUuidBufferSize);
    api::Memory mem{};
    if (a.device_get_memory_info && a.device_get_memory_info(d, &mem) == api::kSuccess) {
      g.memory_total_bytes = mem.total;
    }
    if (a.device_get_cuda_compute_capability) {
      int major = 0, minor = 0;
      if (a.device_get_cuda_compute_capability(d, &major, &minor) == api::kSuccess) {
        g.compute_capability_major = major;
        g.compute_capability_minor = minor;
      }
    }
    g.n_cuda_cores = static_cast<int>(read_uint(a.device_get_num_gpu_cores, d));
    // nvmlDeviceGetAttributes answers for MIG instances only on most drivers;
    // otherwise the SM count follows from the cores and the architecture.
    api::DeviceAttributes attr{};
    if (a.device_get_attributes && a.device_get_attributes(d, &attr) == api::kSuccess) {
      g.sm_count = static_cast<int>(attr.multiprocessor_count);
    }
    const int per_sm = cores_per_sm(g.compute_capability_major, g.compute_capability_minor);
    if (g.sm_count == 0 && per_sm > 0 && g.n_cuda_cores % per_sm == 0) g.sm_count = g.n_cuda_cores / per_sm;
    g.power_limit_w = read_uint(a.device_get_enforced_power_limit, d) / 1000.0;
    g.max_graphics_clock_mhz = static_cast<int>(read_indexed(a.device_get_max_clock_info, d, api::kClockGraphics));
    g.max_memory_clock_mhz = static_cast<int>(read_indexed(a.device_get_max_clock_info, d, api::kClockMem));
    g.slowdown_temperature_c =
        read_indexed(a.device_get_temperature_threshold, d, api::kTemperatureThresholdSlowdown);
    g.shutdown_temperature_c =
        read_indexed(a.device_get_temperature_threshold, d, api::kTemperatureThresholdShutdown);
    out.push_back(std::move(g));
  }
  return out;
}

std::vector<GpuSample> Nvml::sample() const {
  std::vector<GpuSample> out;
  const Api& a = *api_;
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device d = static_cast<Device>(devices_[i]);
    GpuSample s;
    s.index = static_cast<int>(i);
    api::Utilization u{};
    if (a.device_get_utilization_rates && a.device_get_utilization_rates(d, &u) == api::kSuccess) {
      s.utilization_percent = u.gpu;
      s.memory_utilization_percent = u.memory;
    }
    api::MemoryV2 mem2{};
    mem2.version = api::kMemoryV2Version;
    api::Memory mem{};
    if (a.device_get_memory_info_v2 && a.device_get_memory_info_v2(d, &mem2) == api::kSuccess) {
      s.memory_used_bytes = mem2.used;  // without the driver's reservation, as nvidia-smi reports it
      s.memory_total_bytes = mem2.total;
    } else if (a.device_get_memory_info && a.device_get_memory_info(d, &mem) == api::kSuccess) {
      s.memory_used_bytes = mem.used;
      s.memory_total_bytes = mem.total;
    }
    s.temperature_c = read_indexed(a.device_get_temperature, d, api::kTemperatureGpu);
    s.power_w = read_uint(a.device_get_power_usage, d) / 1000.0;
    s.power_limit_w = read_uint(a.device_get_enforced_power_limit, d) / 1000.0;
    s.graphics_clock_mhz = static_cast<int>(read_indexed(a.device_get_clock_info, d, api::kClockGraphics));
    s.sm_clock_mhz = static_cast<int>(read_indexed(a.device_get_clock_info, d, api::kClockSm));
    s.memory_clock_mhz = static_cast<int>(read_indexed(a.device_get_clock_info, d, api::kClockMem));
    unsigned long long reasons = 0;
    if (a.device_get_throttle_reasons && a.device_get_throttle_reasons(d, &reasons) == api::kSuccess) {
      s.throttle_reasons = reasons;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace impetus::telemetry
