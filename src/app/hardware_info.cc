#include "app/hardware_info.h"

#include <cstdio>
#include <string>

#include "backend/cpu/isa.h"
#include "telemetry/hardware.h"
#include "telemetry/nvml.h"

namespace impetus::app {

// The telemetry library's detection (the same the server reports at
// /api/hardware/info), keyed for the CLI.
nlohmann::json describe_hardware() {
  auto nvml = telemetry::Nvml::load();
  const telemetry::HardwareInfo hw =
      telemetry::detect_hardware({.isa_features = cpu::cpu_features_string()}, nvml.get());
  nlohmann::json j;
  j["cpu_model"] = hw.cpu.model;
  j["logical_cpus"] = hw.cpu.n_logical_cpus;
  j["physical_cores"] = hw.cpu.n_physical_cores;
  j["usable_cpus"] = hw.cpu.n_usable_cpus;
  j["l1d_bytes"] = hw.cpu.l1d_bytes;
  j["l2_bytes"] = hw.cpu.l2_bytes;
  j["l3_bytes"] = hw.cpu.l3_bytes;
  j["memory_bytes"] = hw.memory_total_bytes;
  j["features"] = hw.cpu.features;
  j["isa"] = cpu::isa_name(cpu::default_isa());
  nlohmann::json isas = nlohmann::json::array();
  for (cpu::Isa i : cpu::supported_isas()) isas.push_back(cpu::isa_name(i));
  j["supported_isas"] = isas;
  j["fingerprint"] = hw.fingerprint;
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& g : hw.gpus) {
    gpus.push_back({{"index", g.index}, {"name", g.name}, {"memory_bytes", g.memory_total_bytes},
                    {"compute_capability", std::to_string(g.compute_capability_major) + "." +
                                               std::to_string(g.compute_capability_minor)}});
  }
  j["gpus"] = gpus;
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
  for (const auto& g : hw["gpus"]) {
    std::printf("gpu %d:          %s, %.1f GiB, compute capability %s\n", g["index"].get<int>(),
                g["name"].get<std::string>().c_str(), mib(g["memory_bytes"]) / 1024,
                g["compute_capability"].get<std::string>().c_str());
  }
  std::printf("features:       %s\n", hw["features"].get<std::string>().c_str());
  std::string isas;
  for (const auto& i : hw["supported_isas"]) isas += (isas.empty() ? "" : ", ") + i.get<std::string>();
  std::printf("cpu kernels:    %s (supported: %s; IMPETUS_CPU_ISA forces one)\n",
              hw["isa"].get<std::string>().c_str(), isas.c_str());
}

}  // namespace impetus::app
