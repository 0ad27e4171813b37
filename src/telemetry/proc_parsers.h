// Pure parsers for the Linux text files telemetry reads: /proc/stat,
// /proc/meminfo, /proc/cpuinfo, /proc/self/status, /proc/self/stat,
// /proc/loadavg, /proc/net/dev and sysfs sizes ("32K"). They take the file's
// text and never touch the file system, so tests feed them fixed samples and
// the macOS build compiles them too. Sizes come back in bytes, CPU times in
// clock ticks (USER_HZ) as the kernel writes them.
//
//   auto before = parse_proc_stat(read_file("/proc/stat"));
//   ... later ...
//   double pct = cpu_busy_percent(before->total, after->total);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace impetus::telemetry {

// One "cpu" line of /proc/stat, reduced to busy and total ticks. Busy is
// user + nice + system + irq + softirq + steal; idle is idle + iowait (guest
// time is already inside user and nice, so it is not added again).
struct CpuTimes {
  int cpu = -1;        // core number; -1 for the aggregate "cpu" line
  uint64_t busy = 0;   // ticks
  uint64_t total = 0;  // busy + idle ticks
};

struct ProcStat {
  CpuTimes total;                // the aggregate line
  std::vector<CpuTimes> per_cpu; // "cpuN" lines in file order (offline cores are absent)
};

// nullopt when the text has no aggregate "cpu" line.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// Busy share of the ticks between two readings, 0..100; 0 when no ticks
// passed or the counters went backwards.
double cpu_busy_percent(const CpuTimes& before, const CpuTimes& after);

// Per-core busy percent between two readings, matched by core number, in the
// order of `after`. A core absent from `before` reads 0.
std::vector<double> per_cpu_busy_percent(const ProcStat& before, const ProcStat& after);

struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // MemAvailable, or MemFree + Buffers + Cached on old kernels
  uint64_t free_bytes = 0;
  uint64_t buffers_bytes = 0;
  uint64_t cached_bytes = 0;
  uint64_t swap_total_bytes = 0;
  uint64_t swap_free_bytes = 0;
};

// nullopt when MemTotal is missing.
std::optional<MemInfo> parse_meminfo(std::string_view text);

struct CpuInfoText {
  std::string model;        // "model name" (x86), else "Hardware" / "Processor" / "CPU part" (ARM)
  std::string vendor;       // "vendor_id" / "CPU implementer"; "" if absent
  int n_logical = 0;        // "processor" entries
  int n_physical_cores = 0; // distinct (physical id, core id) pairs; 0 when not listed
  double mhz = 0.0;         // mean of the "cpu MHz" lines; 0 when absent
};

CpuInfoText parse_cpuinfo(std::string_view text);

// /proc/<pid>/status.
struct ProcStatus {
  uint64_t rss_bytes = 0;  // VmRSS
  uint64_t vm_bytes = 0;   // VmSize
  int n_threads = 0;       // Threads
};

std::optional<ProcStatus> parse_proc_status(std::string_view text);

// utime + stime (ticks) from /proc/<pid>/stat; the command name may hold
// spaces and parentheses, so fields are counted after its last ')'.
std::optional<uint64_t> parse_proc_pid_stat_cpu_ticks(std::string_view text);

// The three load averages of /proc/loadavg.
std::optional<std::vector<double>> parse_loadavg(std::string_view text);

// Received and sent bytes and packets summed over every interface but "lo".
struct NetCounters {
  uint64_t bytes_recv = 0, bytes_sent = 0;
  uint64_t packets_recv = 0, packets_sent = 0;
};

std::optional<NetCounters> parse_net_dev(std::string_view text);

// A sysfs cache size: "32K" -> 32768, "8M" -> 8388608, "512" -> 512;
// nullopt for anything else.
std::optional<uint64_t> parse_sysfs_size(std::string_view text);

// Number of CPUs in a sysfs list such as "0-3,8,10-11" (-> 7); nullopt on
// malformed input.
std::optional<int> count_cpu_list(std::string_view text);

// Leading and trailing whitespace removed.
std::string_view trim(std::string_view s);

}  // namespace impetus::telemetry
