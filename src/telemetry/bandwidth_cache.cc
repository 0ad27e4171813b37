#include "telemetry/bandwidth_cache.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "telemetry/sysfs.h"

namespace impetus::telemetry {
namespace {

namespace fs = std::filesystem;
constexpr int kVersion = 1;
constexpr const char* kFileName = "memory_bandwidth.json";

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The cache file's JSON, or an empty cache when it is absent, unreadable or not ours.
nlohmann::json load(const fs::path& file) {
  nlohmann::json empty = {{"version", kVersion}, {"entries", nlohmann::json::object()}};
  auto text = read_text_file(file.string());
  if (!text) return empty;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("version") || !j["version"].is_number_integer() ||
      j["version"].get<int>() != kVersion || !j.contains("entries") || !j["entries"].is_object()) {
    return empty;
  }
  return j;
}

std::optional<MemoryBandwidthInfo> entry_of(const nlohmann::json& cache, const std::string& key) {
  const auto& entries = cache["entries"];
  auto it = entries.find(key);
  if (it == entries.end() || !it->is_object()) return std::nullopt;
  const auto& e = *it;
  if (!e.contains("read_gbps") || !e["read_gbps"].is_number() || e["read_gbps"].get<double>() <= 0.0) {
    return std::nullopt;
  }
  auto number = [&e](const char* k) { return e.contains(k) && e[k].is_number() ? e[k].get<double>() : 0.0; };
  MemoryBandwidthInfo info;
  info.read_gbps = e["read_gbps"].get<double>();
  info.copy_gbps = number("copy_gbps");
  info.n_threads = static_cast<int>(number("n_threads"));
  info.measured_at = static_cast<int64_t>(number("measured_at"));
  info.from_cache = true;
  return info;
}

// Writes through a temporary file and a rename, so readers never see half a file.
Status store(const fs::path& dir, const nlohmann::json& cache) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  const fs::path tmp = dir / (std::string(kFileName) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << cache.dump(2) << "\n";
    if (!out) return unavailable("cannot write " + tmp.string());
  }
  fs::rename(tmp, dir / kFileName, ec);
  if (ec) return unavailable("cannot rename " + tmp.string() + ": " + ec.message());
  return ok_status();
}

}  // namespace

std::string bandwidth_cache_key(const CpuDescription& cpu) {
  return cpu.model + "|" + std::to_string(cpu.n_logical_cpus);
}

MemoryBandwidthOptions default_probe_options(const HardwareInfo& hw) {
  MemoryBandwidthOptions o;
  const size_t want = size_t{512} << 20;
  const size_t eighth = static_cast<size_t>(hw.memory_total_bytes / 8);
  o.n_bytes = std::max(size_t{64} << 20, hw.memory_total_bytes ? std::min(want, eighth) : want);
  o.n_threads = hw.cpu.n_usable_cpus > 0 ? hw.cpu.n_usable_cpus : 0;
  o.n_runs = 3;
  return o;
}

std::optional<MemoryBandwidthInfo> read_cached_memory_bandwidth(const std::string& cache_dir, const std::string& key) {
  if (cache_dir.empty()) return std::nullopt;
  return entry_of(load(fs::path(cache_dir) / kFileName), key);
}

StatusOr<MemoryBandwidthInfo> cached_memory_bandwidth(const std::string& cache_dir, const std::string& key,
                                                      const MemoryBandwidthOptions& options,
                                                      const BandwidthProbe& probe) {
  nlohmann::json cache = {{"version", kVersion}, {"entries", nlohmann::json::object()}};
  if (!cache_dir.empty()) {
    cache = load(fs::path(cache_dir) / kFileName);
    if (auto hit = entry_of(cache, key)) return *hit;
  }
  IMP_ASSIGN_OR_RETURN(MemoryBandwidth bw, probe(options));
  MemoryBandwidthInfo info;
  info.read_gbps = bw.read_gbps;
  info.copy_gbps = bw.copy_gbps;
  info.n_threads = bw.n_threads;
  info.measured_at = unix_now();
  if (!cache_dir.empty()) {
    cache["entries"][key] = {{"read_gbps", bw.read_gbps}, {"copy_gbps", bw.copy_gbps},
                             {"n_threads", bw.n_threads}, {"n_bytes", bw.n_bytes},
                             {"measured_at", info.measured_at}};
    if (Status st = store(cache_dir, cache); !st.ok()) {
      IMP_LOG(kWarn, "memory bandwidth cache not saved: ", st.message());
    }
  }
  return info;
}

}  // namespace impetus::telemetry
