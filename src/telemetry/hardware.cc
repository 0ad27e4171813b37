#include "telemetry/hardware.h"

#include <cmath>
#include <cstdio>

namespace impetus::telemetry {

HardwareInfo detect_hardware(const DetectOptions& options, const Nvml* nvml) {
  HardwareInfo hw;
  hw.cpu = platform::probe_cpu(options.sysfs_cpu_dir);
  hw.cpu.features = options.isa_features;
  if (hw.cpu.model.empty()) hw.cpu.model = "unknown";
  for (const CacheLevel& c : hw.cpu.caches) {
    if (c.level == 1 && c.type == "Data") hw.cpu.l1d_bytes = c.size_bytes;
    if (c.level == 2) hw.cpu.l2_bytes = c.size_bytes;
    if (c.level == 3) hw.cpu.l3_bytes = c.size_bytes;
  }
  hw.memory_total_bytes = platform::probe_memory_total_bytes();
  if (nvml) {
    hw.gpus = nvml->describe();
    hw.gpu_driver_version = nvml->driver_version();
  }
  hw.platform = platform::name();
  hw.platform_version = platform::release();
  hw.hostname = platform::hostname();
  hw.fingerprint = hardware_fingerprint(hw);
  return hw;
}

std::string fingerprint_source(const HardwareInfo& hw) {
  const double gib = static_cast<double>(hw.memory_total_bytes) / static_cast<double>(uint64_t{1} << 30);
  std::string s = "cpu=" + hw.cpu.model + ";cores=" + std::to_string(hw.cpu.n_physical_cores) + "/" +
                  std::to_string(hw.cpu.n_logical_cpus) +
                  ";ram_gib=" + std::to_string(static_cast<long long>(std::llround(gib))) + ";gpus=";
  for (size_t i = 0; i < hw.gpus.size(); ++i) s += (i ? "," : "") + hw.gpus[i].name;
  return s;
}

std::string hardware_fingerprint(const HardwareInfo& hw) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a offset basis
  for (unsigned char c : fingerprint_source(hw)) {
    h ^= c;
    h *= 0x100000001b3ull;  // FNV prime
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace impetus::telemetry
