// The /proc and sysfs parsers on fixed sample text (formats as the kernel
// writes them; see proc(5)).
#include "telemetry/proc_parsers.h"

#include <gtest/gtest.h>

namespace impetus::telemetry {
namespace {

constexpr const char* kStatBefore =
    "cpu  1000 100 500 8000 200 30 20 10 50 0\n"
    "cpu0 600 50 300 3900 100 20 10 5 25 0\n"
    "cpu1 400 50 200 4100 100 10 10 5 25 0\n"
    "intr 123456 0 0\n"
    "ctxt 998877\n"
    "btime 1700000000\n"
    "processes 4242\n";

// cpu0 was busy for all of its 300 new ticks, cpu1 idle for all of its 400.
constexpr const char* kStatAfter =
    "cpu  1300 100 500 8400 200 30 20 10 50 0\n"
    "cpu0 850 50 340 3900 100 20 15 10 25 0\n"
    "cpu1 400 50 200 4500 100 10 10 5 25 0\n"
    "intr 123999 0 0\n";

TEST(ProcStat, ParsesAggregateAndPerCpuLines) {
  auto st = parse_proc_stat(kStatBefore);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->total.cpu, -1);
  // busy = user + nice + system + irq + softirq + steal; idle = idle + iowait.
  EXPECT_EQ(st->total.busy, 1000u + 100 + 500 + 30 + 20 + 10);
  EXPECT_EQ(st->total.total, st->total.busy + 8000 + 200);
  ASSERT_EQ(st->per_cpu.size(), 2u);
  EXPECT_EQ(st->per_cpu[0].cpu, 0);
  EXPECT_EQ(st->per_cpu[1].cpu, 1);
  EXPECT_EQ(st->per_cpu[1].busy, 400u + 50 + 200 + 10 + 10 + 5);
}

TEST(ProcStat, PercentBetweenReadings) {
  auto a = parse_proc_stat(kStatBefore), b = parse_proc_stat(kStatAfter);
  ASSERT_TRUE(a && b);
  // Aggregate: busy +300 of total +700.
  EXPECT_DOUBLE_EQ(cpu_busy_percent(a->total, b->total), 100.0 * 300 / 700);
  auto per = per_cpu_busy_percent(*a, *b);
  ASSERT_EQ(per.size(), 2u);
  EXPECT_DOUBLE_EQ(per[0], 100.0);
  EXPECT_DOUBLE_EQ(per[1], 0.0);
}

TEST(ProcStat, OldKernelWithFourColumnsAndOfflineCore) {
  // Four counters only (2.4-era) and cpu1 offline in the second reading.
  auto a = parse_proc_stat("cpu 10 0 10 80\ncpu0 5 0 5 40\ncpu1 5 0 5 40\n");
  auto b = parse_proc_stat("cpu 20 0 20 160\ncpu0 15 0 15 80\ncpu2 1 0 1 2\n");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->total.busy, 20u);
  EXPECT_EQ(a->total.total, 100u);
  auto per = per_cpu_busy_percent(*a, *b);
  ASSERT_EQ(per.size(), 2u);
  EXPECT_DOUBLE_EQ(per[0], 100.0 * 20 / 60);
  EXPECT_DOUBLE_EQ(per[1], 0.0);  // cpu2 unseen before
}

TEST(ProcStat, RejectsTextWithoutAggregate) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
  EXPECT_FALSE(parse_proc_stat("cpu x y z w\n"));
}

TEST(ProcStat, CountersGoingBackwardsReadZero) {
  CpuTimes a{-1, 100, 1000}, b{-1, 90, 1100};
  EXPECT_EQ(cpu_busy_percent(a, b), 0.0);
  EXPECT_EQ(cpu_busy_percent(a, a), 0.0);
}

TEST(MemInfo, ParsesKibValues) {
  auto m = parse_meminfo(
      "MemTotal:       16303792 kB\n"
      "MemFree:         1234567 kB\n"
      "MemAvailable:    9876543 kB\n"
      "Buffers:          200000 kB\n"
      "Cached:          5000000 kB\n"
      "SwapCached:            0 kB\n"
      "SwapTotal:       2097148 kB\n"
      "SwapFree:        2000000 kB\n"
      "HugePages_Total:       0\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->total_bytes, 16303792ull * 1024);
  EXPECT_EQ(m->available_bytes, 9876543ull * 1024);
  EXPECT_EQ(m->free_bytes, 1234567ull * 1024);
  EXPECT_EQ(m->swap_total_bytes, 2097148ull * 1024);
  EXPECT_EQ(m->swap_free_bytes, 2000000ull * 1024);
}

TEST(MemInfo, OldKernelWithoutMemAvailable) {
  auto m = parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->available_bytes, (100u + 20 + 300) * 1024);
  EXPECT_FALSE(parse_meminfo("MemFree: 100 kB\n"));
}

TEST(CpuInfo, X86ModelCoresAndMhz) {
  const char* text =
      "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n"
      "cpu MHz\t\t: 2000.000\nphysical id\t: 0\ncore id\t\t: 0\n\n"
      "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n"
      "cpu MHz\t\t: 3000.000\nphysical id\t: 0\ncore id\t\t: 0\n\n"
      "processor\t: 2\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\n"
      "cpu MHz\t\t: 2500.000\nphysical id\t: 1\ncore id\t\t: 0\n\n";
  CpuInfoText c = parse_cpuinfo(text);
  EXPECT_EQ(c.model, "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz");
  EXPECT_EQ(c.vendor, "GenuineIntel");
  EXPECT_EQ(c.n_logical, 3);
  EXPECT_EQ(c.n_physical_cores, 2);  // (0,0) twice (SMT) and (1,0)
  EXPECT_DOUBLE_EQ(c.mhz, 2500.0);
}

TEST(CpuInfo, ArmFallsBackToHardwareLine) {
  const char* text =
      "processor\t: 0\nBogoMIPS\t: 108.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n"
      "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n"
      "Hardware\t: BCM2835\n";
  CpuInfoText c = parse_cpuinfo(text);
  EXPECT_EQ(c.model, "0xd0b");  // the first fallback line seen
  EXPECT_EQ(c.vendor, "0x41");
  EXPECT_EQ(c.n_logical, 2);
  EXPECT_EQ(c.n_physical_cores, 0);
  EXPECT_EQ(c.mhz, 0.0);
}

TEST(ProcSelf, StatusFields) {
  auto s = parse_proc_status(
      "Name:\timpetus\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  500000 kB\nVmSize:\t  400000 kB\n"
      "VmRSS:\t   12345 kB\nThreads:\t7\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->rss_bytes, 12345ull * 1024);
  EXPECT_EQ(s->vm_bytes, 400000ull * 1024);
  EXPECT_EQ(s->n_threads, 7);
  EXPECT_FALSE(parse_proc_status("Name: x\n"));
}

TEST(ProcSelf, StatCpuTicksWithAwkwardCommandName) {
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const char* text = "4242 (my (odd) prog) R 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 3 0\n";
  auto t = parse_proc_pid_stat_cpu_ticks(text);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 1234u + 567u);
  EXPECT_FALSE(parse_proc_pid_stat_cpu_ticks("4242 (x) R 1 2"));
  EXPECT_FALSE(parse_proc_pid_stat_cpu_ticks("no parenthesis"));
}

TEST(ProcMisc, LoadAverage) {
  auto l = parse_loadavg("0.52 1.25 2.00 3/456 7890\n");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 3u);
  EXPECT_DOUBLE_EQ((*l)[0], 0.52);
  EXPECT_DOUBLE_EQ((*l)[2], 2.0);
  EXPECT_FALSE(parse_loadavg("0.5 x"));
}

TEST(ProcMisc, NetDevSkipsLoopbackAndHeaders) {
  const char* text =
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls "
      "carrier compressed\n"
      "    lo: 5000 50 0 0 0 0 0 0 5000 50 0 0 0 0 0 0\n"
      "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n"
      " wlan0: 300 3 0 0 0 0 0 0 400 4 0 0 0 0 0 0\n";
  auto n = parse_net_dev(text);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->bytes_recv, 1300u);
  EXPECT_EQ(n->packets_recv, 13u);
  EXPECT_EQ(n->bytes_sent, 2400u);
  EXPECT_EQ(n->packets_sent, 24u);
}

TEST(Sysfs, SizesAndCpuLists) {
  EXPECT_EQ(parse_sysfs_size("32K\n"), 32u * 1024);
  EXPECT_EQ(parse_sysfs_size("8M"), 8u << 20);
  EXPECT_EQ(parse_sysfs_size("512"), 512u);
  EXPECT_FALSE(parse_sysfs_size("K"));
  EXPECT_FALSE(parse_sysfs_size("12Q"));
  EXPECT_EQ(count_cpu_list("0-3,8,10-11\n"), 7);
  EXPECT_EQ(count_cpu_list("5"), 1);
  EXPECT_FALSE(count_cpu_list("3-1"));
  EXPECT_FALSE(count_cpu_list(""));
  EXPECT_FALSE(count_cpu_list("0-"));
}

}  // namespace
}  // namespace impetus::telemetry
