#include "telemetry/sysfs.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "telemetry/proc_parsers.h"

namespace impetus::telemetry {
namespace {

namespace fs = std::filesystem;

// Entries of `dir` whose names are `prefix` followed by digits, sorted by that number.
std::vector<fs::path> numbered_entries(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    found.emplace_back(std::stol(digits), it->path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [n, p] : found) out.push_back(std::move(p));
  return out;
}

std::string read_trimmed(const fs::path& p) {
  auto t = read_text_file(p.string());
  return t ? std::string(trim(*t)) : "";
}

std::optional<int64_t> read_int(const fs::path& p) {
  const std::string s = read_trimmed(p);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

bool is_cpu_hwmon(const std::string& driver) {
  static const char* const kNames[] = {"coretemp", "k10temp", "k8temp", "zenpower", "cpu_thermal",
                                       "cpu-thermal", "via_cputemp", "fam15h_power"};
  for (const char* n : kNames) {
    if (driver == n) return true;
  }
  return false;
}

bool is_cpu_zone(const std::string& type) {
  return contains(type, "cpu") || contains(type, "pkg") || contains(type, "soc") || contains(type, "x86");
}

// Plausible sensor range in Celsius (drivers report -273 or 0x7fff... when broken).
bool plausible(double c) { return c > -40.0 && c < 200.0; }

// The thermal zone's "critical" trip point, in Celsius; 0 if none.
double zone_critical(const fs::path& zone) {
  for (int i = 0; i < 32; ++i) {
    const fs::path type = zone / ("trip_point_" + std::to_string(i) + "_type");
    if (!fs::exists(type)) break;
    if (read_trimmed(type) != "critical") continue;
    auto t = read_int(zone / ("trip_point_" + std::to_string(i) + "_temp"));
    if (t && plausible(*t / 1000.0)) return *t / 1000.0;
  }
  return 0.0;
}

void add_thermal_zones(const fs::path& class_dir, SensorPaths& out) {
  for (const fs::path& zone : numbered_entries(class_dir / "thermal", "thermal_zone")) {
    if (!fs::exists(zone / "temp")) continue;
    const std::string type = read_trimmed(zone / "type");
    out.entries.push_back({zone.filename().string() + (type.empty() ? "" : " " + type),
                           (zone / "temp").string(), zone_critical(zone), is_cpu_zone(type)});
  }
}

void add_hwmon(const fs::path& class_dir, SensorPaths& out) {
  for (const fs::path& dev : numbered_entries(class_dir / "hwmon", "hwmon")) {
    const std::string driver = read_trimmed(dev / "name");
    for (int i = 1; i < 64; ++i) {
      const std::string stem = "temp" + std::to_string(i);
      const fs::path input = dev / (stem + "_input");
      if (!fs::exists(input)) continue;
      std::string label = read_trimmed(dev / (stem + "_label"));
      if (label.empty()) label = stem;
      double crit = 0.0;
      if (auto c = read_int(dev / (stem + "_crit")); c && plausible(*c / 1000.0)) crit = *c / 1000.0;
      out.entries.push_back({(driver.empty() ? dev.filename().string() : driver) + " " + label,
                             input.string(), crit, is_cpu_hwmon(driver)});
    }
  }
}

}  // namespace

std::optional<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::vector<CacheLevel> read_cpu_caches(const std::string& cpu_dir) {
  std::vector<CacheLevel> out;
  for (const fs::path& idx : numbered_entries(fs::path(cpu_dir) / "cpu0" / "cache", "index")) {
    CacheLevel c;
    c.level = static_cast<int>(read_int(idx / "level").value_or(0));
    c.type = read_trimmed(idx / "type");
    c.size_bytes = parse_sysfs_size(read_trimmed(idx / "size")).value_or(0);
    c.n_shared_cpus = count_cpu_list(read_trimmed(idx / "shared_cpu_list")).value_or(0);
    if (c.level > 0 && c.size_bytes > 0) out.push_back(std::move(c));
  }
  return out;
}

int read_physical_cores(const std::string& cpu_dir) {
  std::set<std::pair<int64_t, int64_t>> cores;
  for (const fs::path& cpu : numbered_entries(cpu_dir, "cpu")) {
    auto core = read_int(cpu / "topology" / "core_id");
    auto pkg = read_int(cpu / "topology" / "physical_package_id");
    if (core) cores.emplace(pkg.value_or(0), *core);
  }
  return static_cast<int>(cores.size());
}

CpuFrequency read_cpu_frequency(const std::string& cpu_dir) {
  CpuFrequency f;
  double sum = 0.0;
  int n = 0;
  for (const fs::path& cpu : numbered_entries(cpu_dir, "cpu")) {
    const fs::path freq = cpu / "cpufreq";
    if (auto cur = read_int(freq / "scaling_cur_freq")) {
      sum += *cur / 1000.0;
      ++n;
    }
    if (auto mx = read_int(freq / "cpuinfo_max_freq")) f.max_mhz = std::max(f.max_mhz, *mx / 1000.0);
    if (auto mn = read_int(freq / "cpuinfo_min_freq")) {
      f.min_mhz = f.min_mhz == 0.0 ? *mn / 1000.0 : std::min(f.min_mhz, *mn / 1000.0);
    }
  }
  f.current_mhz = n > 0 ? sum / n : 0.0;
  return f;
}

std::optional<uint64_t> read_cpu_throttle_count(const std::string& cpu_dir) {
  uint64_t total = 0;
  bool any = false;
  for (const fs::path& cpu : numbered_entries(cpu_dir, "cpu")) {
    for (const char* f : {"core_throttle_count", "package_throttle_count"}) {
      if (auto v = read_int(cpu / "thermal_throttle" / f); v && *v >= 0) {
        total += static_cast<uint64_t>(*v);
        any = true;
      }
    }
  }
  if (!any) return std::nullopt;
  return total;
}

SensorPaths discover_sensors(const std::string& class_dir) {
  SensorPaths out;
  add_thermal_zones(class_dir, out);
  add_hwmon(class_dir, out);
  return out;
}

std::vector<TemperatureSensor> read_sensors(const SensorPaths& paths) {
  std::vector<TemperatureSensor> out;
  for (const auto& e : paths.entries) {
    auto v = read_int(e.input_path);
    if (!v || !plausible(*v / 1000.0)) continue;
    out.push_back({e.name, *v / 1000.0, e.critical_c, e.cpu});
  }
  return out;
}

}  // namespace impetus::telemetry
