// What `impetus info --hardware` reports about the machine: the CPU's model
// name, core counts, caches and memory, the instruction-set features the
// kernels care about, and which CPU kernel level runs (and which could).
#pragma once

#include <nlohmann/json.hpp>

namespace impetus::app {

// Keys: cpu_model, logical_cpus, physical_cores, usable_cpus, l1d_bytes,
// l2_bytes, l3_bytes, memory_bytes, features, isa, supported_isas,
// fingerprint (the benchmark history's machine id), gpus. Detected by the
// telemetry library, as the server's /api/hardware/info.
nlohmann::json describe_hardware();

// The same as aligned "key: value" lines on stdout.
void print_hardware(const nlohmann::json& hw);

}  // namespace impetus::app
