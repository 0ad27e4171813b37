#include "app/hardware_info.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "backend/cpu/isa.h"

namespace impetus::app {
namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

struct CpuInfo {
  std::string model;
  int physical_cores = 0;  // distinct (physical id, core id) pairs; 0 if not listed
};

// /proc/cpuinfo: "model name" (x86), else "Hardware" / "CPU part" (ARM).
CpuInfo read_cpuinfo() {
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line, fallback, physical = "0";
  std::set<std::string> cores;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "model name" && info.model.empty()) info.model = value;
    if ((key == "Hardware" || key == "CPU part") && fallback.empty()) fallback = value;
    if (key == "physical id") physical = value;
    if (key == "core id") cores.insert(physical + ":" + value);
  }
  if (info.model.empty()) info.model = fallback.empty() ? "unknown" : fallback;
  info.physical_cores = static_cast<int>(cores.size());
  return info;
}

long sysconf_or_zero(int name) {
  const long v = sysconf(name);
  return v > 0 ? v : 0;
}

}  // namespace

nlohmann::json describe_hardware() {
  nlohmann::json j;
  const CpuInfo info = read_cpuinfo();
  const int logical = static_cast<int>(std::thread::hardware_concurrency());
  j["cpu_model"] = info.model;
  j["logical_cpus"] = logical;
  j["physical_cores"] = info.physical_cores > 0 ? info.physical_cores : logical;
  cpu_set_t set;
  CPU_ZERO(&set);
  j["usable_cpus"] = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : logical;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  j["l1d_bytes"] = sysconf_or_zero(_SC_LEVEL1_DCACHE_SIZE);
  j["l2_bytes"] = sysconf_or_zero(_SC_LEVEL2_CACHE_SIZE);
  j["l3_bytes"] = sysconf_or_zero(_SC_LEVEL3_CACHE_SIZE);
#endif
  j["memory_bytes"] = static_cast<uint64_t>(sysconf_or_zero(_SC_PHYS_PAGES)) *
                      static_cast<uint64_t>(sysconf_or_zero(_SC_PAGESIZE));
  j["features"] = cpu::cpu_features_string();
  j["isa"] = cpu::isa_name(cpu::default_isa());
  nlohmann::json isas = nlohmann::json::array();
  for (cpu::Isa i : cpu::supported_isas()) isas.push_back(cpu::isa_name(i));
  j["supported_isas"] = isas;
  return j;
}

void print_hardware(const nlohmann::json& hw) {
  auto mib = [](const nlohmann::json& v) { return v.get<double>() / (1 << 20); };
  std::printf("cpu:            %s\n", hw["cpu_model"].get<std::string>().c_str());
  std::printf("cores:          %d physical, %d logical, %d usable\n", hw["physical_cores"].get<int>(),
              hw["logical_cpus"].get<int>(), hw["usable_cpus"].get<int>());
  if (hw.contains("l2_bytes")) {
    std::printf("caches:         L1d %.0f KiB, L2 %.1f MiB, L3 %.1f MiB (as the OS reports them)\n",
                hw["l1d_bytes"].get<double>() / 1024, mib(hw["l2_bytes"]), mib(hw["l3_bytes"]));
  }
  std::printf("memory:         %.1f GiB\n", mib(hw["memory_bytes"]) / 1024);
  std::printf("features:       %s\n", hw["features"].get<std::string>().c_str());
  std::string isas;
  for (const auto& i : hw["supported_isas"]) isas += (isas.empty() ? "" : ", ") + i.get<std::string>();
  std::printf("cpu kernels:    %s (supported: %s; IMPETUS_CPU_ISA forces one)\n",
              hw["isa"].get<std::string>().c_str(), isas.c_str());
}

}  // namespace impetus::app
