// The memory-bandwidth cache: the first call probes and writes the file, the
// next reads it back without probing; other keys, corrupt files and no
// cache directory behave as documented. A scripted probe stands in for the
// real one, except in one small real measurement.
#include "telemetry/bandwidth_cache.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "telemetry/sysfs.h"
#include "testing/paths.h"

namespace impetus::telemetry {
namespace {

namespace fs = std::filesystem;

struct CountingProbe {
  int calls = 0;
  double gbps = 42.5;
  BandwidthProbe fn() {
    return [this](const MemoryBandwidthOptions& o) -> StatusOr<MemoryBandwidth> {
      ++calls;
      MemoryBandwidth bw;
      bw.read_gbps = gbps;
      bw.copy_gbps = gbps / 2;
      bw.n_bytes = o.n_bytes;
      bw.n_threads = o.n_threads;
      return bw;
    };
  }
};

std::string fresh_dir(const char* name) {
  const std::string dir = testing::scratch_dir(name);
  fs::remove_all(dir);
  return dir + "/cache";  // not created yet: the cache creates it
}

TEST(BandwidthCache, ProbesOnceThenReadsTheFile) {
  const std::string dir = fresh_dir("telemetry_bw_once");
  CountingProbe probe;
  MemoryBandwidthOptions opts{.n_bytes = 64 << 20, .n_threads = 2, .n_runs = 3};
  auto a = cached_memory_bandwidth(dir, "CPU X|2", opts, probe.fn());
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  EXPECT_EQ(probe.calls, 1);
  EXPECT_FALSE(a->from_cache);
  EXPECT_DOUBLE_EQ(a->read_gbps, 42.5);
  EXPECT_GT(a->measured_at, 0);

  auto text = read_text_file(dir + "/memory_bandwidth.json");
  ASSERT_TRUE(text);
  auto j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["version"], 1);
  EXPECT_DOUBLE_EQ(j["entries"]["CPU X|2"]["read_gbps"].get<double>(), 42.5);
  EXPECT_EQ(j["entries"]["CPU X|2"]["n_bytes"], 64 << 20);

  auto peek = read_cached_memory_bandwidth(dir, "CPU X|2");
  ASSERT_TRUE(peek);
  EXPECT_DOUBLE_EQ(peek->read_gbps, 42.5);
  EXPECT_TRUE(peek->from_cache);
  EXPECT_FALSE(read_cached_memory_bandwidth(dir, "CPU Z|2"));
  EXPECT_FALSE(read_cached_memory_bandwidth("", "CPU X|2"));

  probe.gbps = 99.0;
  auto b = cached_memory_bandwidth(dir, "CPU X|2", opts, probe.fn());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(probe.calls, 1);  // not probed again
  EXPECT_TRUE(b->from_cache);
  EXPECT_DOUBLE_EQ(b->read_gbps, 42.5);
  EXPECT_DOUBLE_EQ(b->copy_gbps, 21.25);
  EXPECT_EQ(b->measured_at, a->measured_at);

  // Another machine (key) sharing the directory gets its own entry; the first stays.
  auto c = cached_memory_bandwidth(dir, "CPU Y|8", opts, probe.fn());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(probe.calls, 2);
  EXPECT_DOUBLE_EQ(c->read_gbps, 99.0);
  j = nlohmann::json::parse(*read_text_file(dir + "/memory_bandwidth.json"));
  EXPECT_EQ(j["entries"].size(), 2u);
}

TEST(BandwidthCache, CorruptFileIsRemeasuredAndRewritten) {
  const std::string dir = fresh_dir("telemetry_bw_corrupt");
  fs::create_directories(dir);
  for (const char* bad : {"{not json", "[1,2]", R"({"version": 7, "entries": {}})",
                          R"({"version": 1, "entries": {"K": {"read_gbps": "fast"}}})"}) {
    std::ofstream(dir + "/memory_bandwidth.json") << bad;
    CountingProbe probe;
    auto r = cached_memory_bandwidth(dir, "K", {}, probe.fn());
    ASSERT_TRUE(r.ok()) << bad;
    EXPECT_EQ(probe.calls, 1) << bad;
    auto j = nlohmann::json::parse(*read_text_file(dir + "/memory_bandwidth.json"));
    EXPECT_DOUBLE_EQ(j["entries"]["K"]["read_gbps"].get<double>(), 42.5) << bad;
  }
}

TEST(BandwidthCache, NoDirectoryMeansAlwaysMeasure) {
  CountingProbe probe;
  ASSERT_TRUE(cached_memory_bandwidth("", "K", {}, probe.fn()).ok());
  ASSERT_TRUE(cached_memory_bandwidth("", "K", {}, probe.fn()).ok());
  EXPECT_EQ(probe.calls, 2);
}

TEST(BandwidthCache, ProbeErrorsPassThroughAndAreNotCached) {
  const std::string dir = fresh_dir("telemetry_bw_error");
  BandwidthProbe failing = [](const MemoryBandwidthOptions&) -> StatusOr<MemoryBandwidth> {
    return resource_exhausted("no memory");
  };
  auto r = cached_memory_bandwidth(dir, "K", {}, failing);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(fs::exists(dir + "/memory_bandwidth.json"));
}

TEST(BandwidthCache, KeyAndDefaultOptions) {
  HardwareInfo hw;
  hw.cpu.model = "AMD EPYC";
  hw.cpu.n_logical_cpus = 2;
  hw.cpu.n_usable_cpus = 2;
  EXPECT_EQ(bandwidth_cache_key(hw.cpu), "AMD EPYC|2");
  hw.memory_total_bytes = uint64_t{64} << 30;
  EXPECT_EQ(default_probe_options(hw).n_bytes, size_t{512} << 20);
  EXPECT_EQ(default_probe_options(hw).n_threads, 2);
  hw.memory_total_bytes = uint64_t{2} << 30;  // an eighth of RAM: 256 MiB
  EXPECT_EQ(default_probe_options(hw).n_bytes, size_t{256} << 20);
  hw.memory_total_bytes = uint64_t{256} << 20;  // never below 64 MiB
  EXPECT_EQ(default_probe_options(hw).n_bytes, size_t{64} << 20);
}

TEST(BandwidthCache, RealProbeSmall) {
  const std::string dir = fresh_dir("telemetry_bw_real");
  auto r = cached_memory_bandwidth(dir, "real", {.n_bytes = 32 << 20, .n_threads = 1, .n_runs = 2});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_GT(r->read_gbps, 0.5);  // any machine reads faster than 0.5 GB/s
  EXPECT_FALSE(r->from_cache);
  auto again = cached_memory_bandwidth(dir, "real", {.n_bytes = 32 << 20, .n_threads = 1, .n_runs = 2});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_DOUBLE_EQ(again->read_gbps, r->read_gbps);
}

}  // namespace
}  // namespace impetus::telemetry
