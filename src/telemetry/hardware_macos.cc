// macOS: static facts from sysctl and uname; live readings from Mach host
// statistics, libproc, getrusage, getloadavg and statvfs. No temperatures
// (they need private SMC interfaces), so the thermal state stays nominal
// unless a source reports otherwise. Untested in CI (Linux only): kept
// small and compiled only on Apple platforms.
#if defined(__APPLE__)

#include <dirent.h>
#include <libproc.h>
#include <mach/mach.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/sysctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "telemetry/hardware.h"
#include "telemetry/proc_parsers.h"
#include "telemetry/sample.h"

namespace impetus::telemetry {
namespace {

template <typename T>
T sysctl_value(const char* name, T fallback) {
  T v{};
  size_t len = sizeof(v);
  return sysctlbyname(name, &v, &len, nullptr, 0) == 0 ? v : fallback;
}

std::string sysctl_string(const char* name) {
  size_t len = 0;
  if (sysctlbyname(name, nullptr, &len, nullptr, 0) != 0 || len == 0) return "";
  std::string s(len, '\0');
  if (sysctlbyname(name, s.data(), &len, nullptr, 0) != 0) return "";
  s.resize(std::char_traits<char>::length(s.c_str()));
  return s;
}

// Per-core busy/total ticks from the Mach host.
std::optional<ProcStat> host_cpu_ticks() {
  natural_t n_cpus = 0;
  processor_info_array_t info = nullptr;
  mach_msg_type_number_t n_info = 0;
  if (host_processor_info(mach_host_self(), PROCESSOR_CPU_LOAD_INFO, &n_cpus, &info, &n_info) != KERN_SUCCESS) {
    return std::nullopt;
  }
  ProcStat st;
  const auto* load = reinterpret_cast<const processor_cpu_load_info_data_t*>(info);
  for (natural_t i = 0; i < n_cpus; ++i) {
    const unsigned int* t = load[i].cpu_ticks;
    CpuTimes c;
    c.cpu = static_cast<int>(i);
    c.busy = uint64_t{t[CPU_STATE_USER]} + t[CPU_STATE_SYSTEM] + t[CPU_STATE_NICE];
    c.total = c.busy + t[CPU_STATE_IDLE];
    st.total.busy += c.busy;
    st.total.total += c.total;
    st.per_cpu.push_back(c);
  }
  vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(info), n_info * sizeof(integer_t));
  return st;
}

int count_open_fds() {
  DIR* d = opendir("/dev/fd");
  if (!d) return 0;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n > 0 ? n - 1 : 0;
}

double process_cpu_seconds() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

class MacSource : public SampleSource {
 public:
  explicit MacSource(const SystemSourceOptions& options) : options_(options) {
    prev_ = host_cpu_ticks();
    prev_cpu_s_ = process_cpu_seconds();
    prev_time_ = std::chrono::steady_clock::now();
  }

  Sample read() override {
    Sample s;
    auto now_ticks = host_cpu_ticks();
    if (now_ticks && prev_) {
      s.cpu.usage_percent = cpu_busy_percent(prev_->total, now_ticks->total);
      s.cpu.per_core = per_cpu_busy_percent(*prev_, *now_ticks);
    }
    if (now_ticks) prev_ = std::move(now_ticks);
    double load[3];
    if (getloadavg(load, 3) == 3) s.cpu.load_average = {load[0], load[1], load[2]};
    read_memory(s.memory);
    read_process(s.process);
    if (!options_.disk_path.empty()) {
      struct statvfs st {};
      if (statvfs(options_.disk_path.c_str(), &st) == 0) {
        DiskSample d;
        d.path = options_.disk_path;
        d.total_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
        d.free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
        d.used_bytes = d.total_bytes - static_cast<uint64_t>(st.f_bfree) * st.f_frsize;
        s.disk = d;
      }
    }
    return s;
  }

 private:
  static void read_memory(MemorySample& m) {
    m.total_bytes = sysctl_value<uint64_t>("hw.memsize", 0);
    vm_statistics64_data_t vm{};
    mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
    if (host_statistics64(mach_host_self(), HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&vm), &count) ==
        KERN_SUCCESS) {
      const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
      m.available_bytes = std::min<uint64_t>(m.total_bytes, (uint64_t{vm.free_count} + vm.inactive_count) * page);
    }
    m.used_bytes = m.total_bytes - m.available_bytes;
    m.percent = m.total_bytes ? 100.0 * static_cast<double>(m.used_bytes) / static_cast<double>(m.total_bytes) : 0.0;
    xsw_usage swap{};
    size_t len = sizeof(swap);
    if (sysctlbyname("vm.swapusage", &swap, &len, nullptr, 0) == 0) {
      m.swap_total_bytes = swap.xsu_total;
      m.swap_used_bytes = swap.xsu_used;
    }
  }

  void read_process(ProcessSample& p) {
    proc_taskinfo ti{};
    if (proc_pidinfo(getpid(), PROC_PIDTASKINFO, 0, &ti, sizeof(ti)) == static_cast<int>(sizeof(ti))) {
      p.rss_bytes = ti.pti_resident_size;
      p.virtual_bytes = ti.pti_virtual_size;
      p.n_threads = ti.pti_threadnum;
    }
    p.n_open_files = count_open_fds();
    const auto now = std::chrono::steady_clock::now();
    const double cpu_s = process_cpu_seconds();
    const double wall_s = std::chrono::duration<double>(now - prev_time_).count();
    if (wall_s > 0.0 && cpu_s >= prev_cpu_s_) p.cpu_percent = 100.0 * (cpu_s - prev_cpu_s_) / wall_s;
    prev_cpu_s_ = cpu_s;
    prev_time_ = now;
  }

  const SystemSourceOptions options_;
  std::optional<ProcStat> prev_;
  double prev_cpu_s_ = 0.0;
  std::chrono::steady_clock::time_point prev_time_;
};

}  // namespace

std::unique_ptr<SampleSource> make_system_source(const SystemSourceOptions& options) {
  return std::make_unique<MacSource>(options);
}

namespace platform {

CpuDescription probe_cpu(const std::string&) {
  CpuDescription c;
  c.model = sysctl_string("machdep.cpu.brand_string");
  if (c.model.empty()) c.model = "unknown";
  c.vendor = c.model.rfind("Apple", 0) == 0 ? "Apple" : sysctl_string("machdep.cpu.vendor");
  c.architecture = machine();
  c.n_logical_cpus = std::max(1, sysctl_value<int>("hw.logicalcpu", 1));
  c.n_physical_cores = std::max(1, sysctl_value<int>("hw.physicalcpu", c.n_logical_cpus));
  c.n_usable_cpus = c.n_logical_cpus;
  c.frequency_mhz = static_cast<double>(sysctl_value<int64_t>("hw.cpufrequency", 0)) / 1e6;
  c.frequency_max_mhz = static_cast<double>(sysctl_value<int64_t>("hw.cpufrequency_max", 0)) / 1e6;
  const struct {
    const char* name;
    int level;
    const char* type;
  } kCaches[] = {{"hw.l1dcachesize", 1, "Data"}, {"hw.l1icachesize", 1, "Instruction"},
                 {"hw.l2cachesize", 2, "Unified"}, {"hw.l3cachesize", 3, "Unified"}};
  for (const auto& k : kCaches) {
    const int64_t size = sysctl_value<int64_t>(k.name, 0);
    if (size > 0) c.caches.push_back({k.level, k.type, static_cast<uint64_t>(size), 0});
  }
  return c;
}

uint64_t probe_memory_total_bytes() { return sysctl_value<uint64_t>("hw.memsize", 0); }

std::string name() {
  utsname u{};
  return uname(&u) == 0 ? u.sysname : "Darwin";
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

#endif  // __APPLE__
