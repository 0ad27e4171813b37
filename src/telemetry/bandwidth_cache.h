// The machine's memory bandwidth, measured once with a short probe
// (core/memory_bandwidth.h) and remembered on disk, so later starts read it
// back instead of measuring again. The cache is one JSON file,
// <cache_dir>/memory_bandwidth.json:
//   {"version": 1, "entries": {"<key>": {"read_gbps": 61.2, "copy_gbps": 48.0,
//                                        "n_threads": 2, "n_bytes": 536870912,
//                                        "measured_at": 1717171717}}}
// keyed by bandwidth_cache_key(): the CPU model and logical CPU count (the
// same model name covers VMs of any size).
//
//   auto bw = cached_memory_bandwidth(dir, bandwidth_cache_key(hw.cpu), default_probe_options(hw));
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/memory_bandwidth.h"
#include "core/status.h"
#include "telemetry/hardware.h"

namespace impetus::telemetry {

// "<model>|<logical cpus>".
std::string bandwidth_cache_key(const CpuDescription& cpu);

// A short probe: 512 MiB (at most an eighth of RAM, at least 64 MiB), all
// usable CPUs, 3 runs -- well under a second on a desktop.
MemoryBandwidthOptions default_probe_options(const HardwareInfo& hw);

// The cached entry for `key`, if the cache file has a valid one.
std::optional<MemoryBandwidthInfo> read_cached_memory_bandwidth(const std::string& cache_dir, const std::string& key);

using BandwidthProbe = std::function<StatusOr<MemoryBandwidth>(const MemoryBandwidthOptions&)>;

// The cached entry for `key`, or a fresh measurement (then stored; a cache
// that cannot be written is logged and ignored). An unreadable or corrupt
// cache file counts as empty. `cache_dir` is created if missing; "" means no
// cache: always measure. `probe` is measure_memory_bandwidth unless a test
// substitutes one.
StatusOr<MemoryBandwidthInfo> cached_memory_bandwidth(const std::string& cache_dir, const std::string& key,
                                                      const MemoryBandwidthOptions& options,
                                                      const BandwidthProbe& probe = measure_memory_bandwidth);

}  // namespace impetus::telemetry
