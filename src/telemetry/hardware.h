// What the machine is: CPU model, cores, ISA features, caches, memory, NVIDIA
// GPUs and the operating system, detected once at start (detect_hardware),
// plus a short stable fingerprint that names the machine in benchmark
// history. Live values (usage, temperatures) are in sample.h.
//
// The CPU backend knows the ISA features, so the caller passes them in:
//   HardwareInfo hw = detect_hardware({.isa_features = cpu::cpu_features_string()}, nvml.get());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/nvml.h"

namespace impetus::telemetry {

struct CacheLevel {
  int level = 0;            // 1, 2, 3
  std::string type;         // "Data", "Instruction", "Unified"
  uint64_t size_bytes = 0;  // of one instance (as sysfs reports it)
  int n_shared_cpus = 0;    // logical CPUs sharing one instance; 0 if unknown
};

struct CpuDescription {
  std::string model;            // "AMD EPYC 9654 96-Core Processor"; never empty ("unknown")
  std::string vendor;           // "AuthenticAMD", "GenuineIntel", "Apple", ...; "" if unknown
  std::string architecture;     // "x86_64", "aarch64", "arm64"
  int n_physical_cores = 0;     // >= 1
  int n_logical_cpus = 0;       // >= n_physical_cores
  int n_usable_cpus = 0;        // this process's affinity mask (cgroups may allow fewer)
  double frequency_mhz = 0.0;   // current (mean over cores); 0 if unknown
  double frequency_max_mhz = 0.0;
  double frequency_min_mhz = 0.0;
  std::string features;         // ISA features, as the CPU backend names them
  std::vector<CacheLevel> caches;
  uint64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;  // per instance; 0 if unknown
};

struct MemoryBandwidthInfo {
  double read_gbps = 0.0;  // 1e9 bytes per second
  double copy_gbps = 0.0;
  int n_threads = 0;
  int64_t measured_at = 0; // unix time of the probe
  bool from_cache = false; // read from the on-disk cache rather than measured now
};

struct HardwareInfo {
  CpuDescription cpu;
  uint64_t memory_total_bytes = 0;
  std::vector<GpuDescription> gpus;  // empty without NVML or NVIDIA GPUs
  std::string gpu_driver_version;    // "" without NVML
  std::string platform;              // "Linux", "Darwin"
  std::string platform_version;      // kernel release
  std::string hostname;
  std::optional<MemoryBandwidthInfo> memory_bandwidth;  // once probed (see bandwidth_cache.h)
  std::string fingerprint;           // hardware_fingerprint(*this), filled by detect_hardware
};

struct DetectOptions {
  std::string isa_features;                          // e.g. "avx2 avx512f avx512bw ..."
  std::string sysfs_cpu_dir = "/sys/devices/system/cpu";  // Linux; tests point it elsewhere
};

// Never fails: unknown values stay 0 / "" (the model is "unknown").
// `nvml` may be null (no GPUs).
HardwareInfo detect_hardware(const DetectOptions& options, const Nvml* nvml);

// The text the fingerprint hashes: CPU model, physical/logical cores, RAM
// rounded to the nearest GiB, GPU names in index order.
std::string fingerprint_source(const HardwareInfo& hw);
// 16 hex digits: FNV-1a (64-bit) of fingerprint_source(hw). Stable across
// runs, builds and platforms for the same hardware.
std::string hardware_fingerprint(const HardwareInfo& hw);

// Per-OS probes (hardware_linux.cc, hardware_macos.cc), used by detect_hardware.
namespace platform {
CpuDescription probe_cpu(const std::string& sysfs_cpu_dir);
uint64_t probe_memory_total_bytes();
std::string name();     // "Linux"
std::string release();  // "6.1.0-18-amd64"
std::string machine();  // "x86_64"
std::string hostname();
}  // namespace platform

}  // namespace impetus::telemetry
