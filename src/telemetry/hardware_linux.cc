// Linux: static facts from /proc/cpuinfo, sysfs and uname; live readings
// from /proc/stat, /proc/meminfo, /proc/self, /proc/loadavg, /proc/net/dev,
// sysfs sensors, statvfs and NVML.
#if defined(__linux__)

#include <dirent.h>
#include <sched.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "telemetry/hardware.h"
#include "telemetry/proc_parsers.h"
#include "telemetry/sample.h"
#include "telemetry/sysfs.h"

namespace impetus::telemetry {
namespace {

std::string read_or_empty(const char* path) { return read_text_file(path).value_or(""); }

int usable_cpus(int fallback) {
  cpu_set_t set;
  CPU_ZERO(&set);
  return sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : fallback;
}

int count_open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return 0;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n > 0 ? n - 1 : 0;  // the directory stream's own descriptor
}

std::optional<DiskSample> disk_usage(const std::string& path) {
  if (path.empty()) return std::nullopt;
  struct statvfs st {};
  if (statvfs(path.c_str(), &st) != 0) return std::nullopt;
  DiskSample d;
  d.path = path;
  d.total_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  d.free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  d.used_bytes = d.total_bytes - static_cast<uint64_t>(st.f_bfree) * st.f_frsize;
  return d;
}

class LinuxSource : public SampleSource {
 public:
  explicit LinuxSource(const SystemSourceOptions& options)
      : options_(options), sensors_(discover_sensors(options.sysfs_class_dir)) {
    if (options_.nvml) gpus_ = options_.nvml->describe();
    prev_stat_ = parse_proc_stat(read_or_empty("/proc/stat"));
    prev_ticks_ = parse_proc_pid_stat_cpu_ticks(read_or_empty("/proc/self/stat"));
    prev_time_ = std::chrono::steady_clock::now();
  }

  std::vector<GpuDescription> gpus() const override { return gpus_; }

  Sample read() override {
    Sample s;
    read_cpu(s.cpu);
    read_memory(s.memory);
    read_process(s.process);
    if (options_.nvml) s.gpus = options_.nvml->sample();
    s.sensors = read_sensors(sensors_);
    for (const auto& t : s.sensors) {
      if (t.cpu && (!s.cpu.temperature_c || t.celsius > *s.cpu.temperature_c)) s.cpu.temperature_c = t.celsius;
    }
    s.disk = disk_usage(options_.disk_path);
    if (auto net = parse_net_dev(read_or_empty("/proc/net/dev"))) {
      s.network = NetworkSample{net->bytes_sent, net->bytes_recv, net->packets_sent, net->packets_recv};
    }
    return s;
  }

 private:
  void read_cpu(CpuSample& c) {
    auto stat = parse_proc_stat(read_or_empty("/proc/stat"));
    if (stat && prev_stat_) {
      c.usage_percent = cpu_busy_percent(prev_stat_->total, stat->total);
      c.per_core = per_cpu_busy_percent(*prev_stat_, *stat);
    }
    if (stat) prev_stat_ = std::move(stat);
    c.frequency_mhz = read_cpu_frequency(options_.sysfs_cpu_dir).current_mhz;
    if (c.frequency_mhz == 0.0) c.frequency_mhz = parse_cpuinfo(read_or_empty("/proc/cpuinfo")).mhz;
    c.throttle_count = read_cpu_throttle_count(options_.sysfs_cpu_dir);
    c.load_average = parse_loadavg(read_or_empty("/proc/loadavg")).value_or(std::vector<double>{});
  }

  void read_memory(MemorySample& m) {
    auto mi = parse_meminfo(read_or_empty("/proc/meminfo"));
    if (!mi) return;
    m.total_bytes = mi->total_bytes;
    m.available_bytes = mi->available_bytes;
    m.used_bytes = mi->total_bytes - mi->available_bytes;
    m.percent = mi->total_bytes ? 100.0 * static_cast<double>(m.used_bytes) / static_cast<double>(mi->total_bytes) : 0.0;
    m.swap_total_bytes = mi->swap_total_bytes;
    m.swap_used_bytes = mi->swap_total_bytes - std::min(mi->swap_free_bytes, mi->swap_total_bytes);
  }

  void read_process(ProcessSample& p) {
    if (auto st = parse_proc_status(read_or_empty("/proc/self/status"))) {
      p.rss_bytes = st->rss_bytes;
      p.virtual_bytes = st->vm_bytes;
      p.n_threads = st->n_threads;
    }
    p.n_open_files = count_open_fds();
    const auto now = std::chrono::steady_clock::now();
    auto ticks = parse_proc_pid_stat_cpu_ticks(read_or_empty("/proc/self/stat"));
    const double wall_s = std::chrono::duration<double>(now - prev_time_).count();
    static const long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    if (ticks && prev_ticks_ && *ticks >= *prev_ticks_ && wall_s > 0.0) {
      p.cpu_percent = 100.0 * static_cast<double>(*ticks - *prev_ticks_) / static_cast<double>(hz) / wall_s;
    }
    if (ticks) prev_ticks_ = ticks;
    prev_time_ = now;
  }

  const SystemSourceOptions options_;
  const SensorPaths sensors_;
  std::vector<GpuDescription> gpus_;
  std::optional<ProcStat> prev_stat_;
  std::optional<uint64_t> prev_ticks_;
  std::chrono::steady_clock::time_point prev_time_;
};

}  // namespace

std::unique_ptr<SampleSource> make_system_source(const SystemSourceOptions& options) {
  return std::make_unique<LinuxSource>(options);
}

namespace platform {

CpuDescription probe_cpu(const std::string& sysfs_cpu_dir) {
  CpuDescription c;
  const CpuInfoText info = parse_cpuinfo(read_or_empty("/proc/cpuinfo"));
  c.model = info.model.empty() ? "unknown" : info.model;
  c.vendor = info.vendor;
  c.architecture = machine();
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  c.n_logical_cpus = online > 0 ? static_cast<int>(online)
                                : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  c.n_physical_cores = read_physical_cores(sysfs_cpu_dir);
  if (c.n_physical_cores == 0) c.n_physical_cores = info.n_physical_cores;
  if (c.n_physical_cores <= 0 || c.n_physical_cores > c.n_logical_cpus) c.n_physical_cores = c.n_logical_cpus;
  c.n_usable_cpus = usable_cpus(c.n_logical_cpus);
  const CpuFrequency f = read_cpu_frequency(sysfs_cpu_dir);
  c.frequency_mhz = f.current_mhz > 0.0 ? f.current_mhz : info.mhz;
  c.frequency_max_mhz = f.max_mhz;
  c.frequency_min_mhz = f.min_mhz;
  c.caches = read_cpu_caches(sysfs_cpu_dir);
  return c;
}

uint64_t probe_memory_total_bytes() {
  if (auto mi = parse_meminfo(read_or_empty("/proc/meminfo"))) return mi->total_bytes;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

std::string name() {
  utsname u{};
  return uname(&u) == 0 ? u.sysname : "Linux";
}

std::string release() {
  utsname u{};
  return uname(&u) == 0 ? u.release : "";
}

std::string machine() {
  utsname u{};
  return uname(&u) == 0 ? u.machine : "";
}

std::string hostname() {
  utsname u{};
  return uname(&u) == 0 ? u.nodename : "";
}

}  // namespace platform
}  // namespace impetus::telemetry

#endif  // __linux__
