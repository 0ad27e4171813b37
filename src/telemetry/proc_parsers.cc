#include "telemetry/proc_parsers.h"

#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

namespace impetus::telemetry {
namespace {

// Splits on runs of spaces and tabs.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    fn(text.substr(pos, end - pos));
    pos = end + 1;
  }
}

std::optional<uint64_t> to_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> to_double(std::string_view s) {
  // std::from_chars for double is in libstdc++ >= 11; strtod needs a terminated copy.
  std::string copy(s);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

// "key: value" -> {key, value}, both trimmed; key empty when there is no ':'.
std::pair<std::string_view, std::string_view> key_value(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {{}, {}};
  return {trim(line.substr(0, colon)), trim(line.substr(colon + 1))};
}

// "123456 kB" -> bytes.
std::optional<uint64_t> kib_value(std::string_view value) {
  auto f = fields(value);
  if (f.empty()) return std::nullopt;
  auto n = to_u64(f[0]);
  if (!n) return std::nullopt;
  return f.size() > 1 && (f[1] == "kB" || f[1] == "KB") ? *n * 1024 : *n;
}

std::optional<CpuTimes> parse_cpu_line(std::string_view line) {
  auto f = fields(line);
  if (f.size() < 5 || f[0].substr(0, 3) != "cpu") return std::nullopt;
  CpuTimes t;
  if (f[0].size() > 3) {
    auto id = to_u64(f[0].substr(3));
    if (!id) return std::nullopt;
    t.cpu = static_cast<int>(*id);
  }
  // user nice system idle iowait irq softirq steal guest guest_nice
  uint64_t v[8] = {};
  for (size_t i = 0; i < 8 && i + 1 < f.size(); ++i) {
    auto n = to_u64(f[i + 1]);
    if (!n) return std::nullopt;
    v[i] = *n;
  }
  t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  t.total = t.busy + v[3] + v[4];
  return t;
}

}  // namespace

std::string_view trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  ProcStat out;
  bool have_total = false;
  for_each_line(text, [&](std::string_view line) {
    if (line.substr(0, 3) != "cpu") return;
    auto t = parse_cpu_line(line);
    if (!t) return;
    if (t->cpu < 0) {
      out.total = *t;
      have_total = true;
    } else {
      out.per_cpu.push_back(*t);
    }
  });
  if (!have_total) return std::nullopt;
  return out;
}

double cpu_busy_percent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0.0;
  const double busy = static_cast<double>(after.busy - before.busy);
  const double total = static_cast<double>(after.total - before.total);
  const double pct = 100.0 * busy / total;
  return pct > 100.0 ? 100.0 : pct;
}

std::vector<double> per_cpu_busy_percent(const ProcStat& before, const ProcStat& after) {
  std::map<int, CpuTimes> prev;
  for (const auto& t : before.per_cpu) prev[t.cpu] = t;
  std::vector<double> out;
  out.reserve(after.per_cpu.size());
  for (const auto& t : after.per_cpu) {
    auto it = prev.find(t.cpu);
    out.push_back(it == prev.end() ? 0.0 : cpu_busy_percent(it->second, t));
  }
  return out;
}

std::optional<MemInfo> parse_meminfo(std::string_view text) {
  MemInfo m;
  bool have_total = false, have_available = false;
  for_each_line(text, [&](std::string_view line) {
    auto [key, value] = key_value(line);
    auto bytes = kib_value(value);
    if (key.empty() || !bytes) return;
    if (key == "MemTotal") {
      m.total_bytes = *bytes;
      have_total = true;
    } else if (key == "MemAvailable") {
      m.available_bytes = *bytes;
      have_available = true;
    } else if (key == "MemFree") {
      m.free_bytes = *bytes;
    } else if (key == "Buffers") {
      m.buffers_bytes = *bytes;
    } else if (key == "Cached") {
      m.cached_bytes = *bytes;
    } else if (key == "SwapTotal") {
      m.swap_total_bytes = *bytes;
    } else if (key == "SwapFree") {
      m.swap_free_bytes = *bytes;
    }
  });
  if (!have_total) return std::nullopt;
  if (!have_available) m.available_bytes = m.free_bytes + m.buffers_bytes + m.cached_bytes;
  if (m.available_bytes > m.total_bytes) m.available_bytes = m.total_bytes;
  return m;
}

CpuInfoText parse_cpuinfo(std::string_view text) {
  CpuInfoText info;
  std::string fallback, physical = "0";
  std::set<std::string> cores;
  double mhz_sum = 0.0;
  int n_mhz = 0;
  for_each_line(text, [&](std::string_view line) {
    auto [key, value] = key_value(line);
    if (key.empty()) return;
    if (key == "processor") ++info.n_logical;
    if (key == "model name" && info.model.empty()) info.model = std::string(value);
    if ((key == "Hardware" || key == "Processor" || key == "CPU part") && fallback.empty() &&
        !value.empty()) {
      fallback = std::string(value);
    }
    if ((key == "vendor_id" || key == "CPU implementer") && info.vendor.empty()) {
      info.vendor = std::string(value);
    }
    if (key == "physical id") physical = std::string(value);
    if (key == "core id") cores.insert(physical + ":" + std::string(value));
    if (key == "cpu MHz") {
      if (auto v = to_double(value)) {
        mhz_sum += *v;
        ++n_mhz;
      }
    }
  });
  if (info.model.empty()) info.model = fallback;
  info.n_physical_cores = static_cast<int>(cores.size());
  info.mhz = n_mhz > 0 ? mhz_sum / n_mhz : 0.0;
  return info;
}

std::optional<ProcStatus> parse_proc_status(std::string_view text) {
  ProcStatus s;
  bool any = false;
  for_each_line(text, [&](std::string_view line) {
    auto [key, value] = key_value(line);
    if (key == "VmRSS") {
      if (auto b = kib_value(value)) {
        s.rss_bytes = *b;
        any = true;
      }
    } else if (key == "VmSize") {
      if (auto b = kib_value(value)) {
        s.vm_bytes = *b;
        any = true;
      }
    } else if (key == "Threads") {
      if (auto n = to_u64(value)) {
        s.n_threads = static_cast<int>(*n);
        any = true;
      }
    }
  });
  if (!any) return std::nullopt;
  return s;
}

std::optional<uint64_t> parse_proc_pid_stat_cpu_ticks(std::string_view text) {
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ")": state(3) ppid(4) ... utime(14) stime(15), numbered from the pid (1).
  auto f = fields(trim(text.substr(close + 1)));
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3;
  if (f.size() <= kStime) return std::nullopt;
  auto u = to_u64(f[kUtime]), s = to_u64(f[kStime]);
  if (!u || !s) return std::nullopt;
  return *u + *s;
}

std::optional<std::vector<double>> parse_loadavg(std::string_view text) {
  auto f = fields(trim(text));
  if (f.size() < 3) return std::nullopt;
  std::vector<double> out;
  for (size_t i = 0; i < 3; ++i) {
    auto v = to_double(f[i]);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::optional<NetCounters> parse_net_dev(std::string_view text) {
  NetCounters c;
  bool any = false;
  for_each_line(text, [&](std::string_view line) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string_view name = trim(line.substr(0, colon));
    auto f = fields(line.substr(colon + 1));
    // receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets ...
    if (name.empty() || name.find('|') != std::string_view::npos || f.size() < 10) return;
    auto rb = to_u64(f[0]), rp = to_u64(f[1]), tb = to_u64(f[8]), tp = to_u64(f[9]);
    if (!rb || !rp || !tb || !tp) return;
    any = true;
    if (name == "lo") return;
    c.bytes_recv += *rb;
    c.packets_recv += *rp;
    c.bytes_sent += *tb;
    c.packets_sent += *tp;
  });
  if (!any) return std::nullopt;
  return c;
}

std::optional<uint64_t> parse_sysfs_size(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  uint64_t mult = 1;
  const char last = text.back();
  if (last == 'K' || last == 'k') mult = uint64_t{1} << 10;
  if (last == 'M' || last == 'm') mult = uint64_t{1} << 20;
  if (last == 'G' || last == 'g') mult = uint64_t{1} << 30;
  if (mult != 1) text.remove_suffix(1);
  auto n = to_u64(text);
  if (!n) return std::nullopt;
  return *n * mult;
}

std::optional<int> count_cpu_list(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  int n = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = text.substr(pos, end - pos);
    const size_t dash = part.find('-');
    auto lo = to_u64(dash == std::string_view::npos ? part : part.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : to_u64(part.substr(dash + 1));
    if (!lo || !hi || *hi < *lo) return std::nullopt;
    n += static_cast<int>(*hi - *lo + 1);
    pos = end + 1;
  }
  return n;
}

}  // namespace impetus::telemetry
