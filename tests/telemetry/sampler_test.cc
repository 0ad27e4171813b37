// The Sampler with scripted sources (timing, history bound, thermal
// listeners) and the real system source (sane readings; CPU percent rises
// while a thread spins).
#include "telemetry/sampler.h"

#include <time.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

namespace impetus::telemetry {
namespace {

using namespace std::chrono_literals;

// Returns readings whose CPU temperature follows `temps` (the last repeats).
class ScriptedSource : public SampleSource {
 public:
  explicit ScriptedSource(std::vector<double> temps, std::vector<uint64_t> throttle = {})
      : temps_(std::move(temps)), throttle_(std::move(throttle)) {}
  Sample read() override {
    const size_t i = n_reads_++;
    Sample s;
    s.cpu.usage_percent = static_cast<double>(i);
    const double t = temps_.empty() ? 40.0 : temps_[std::min(i, temps_.size() - 1)];
    s.sensors.push_back({"coretemp Package id 0", t, 0.0, true});
    s.cpu.temperature_c = t;
    if (!throttle_.empty()) s.cpu.throttle_count = throttle_[std::min(i, throttle_.size() - 1)];
    return s;
  }
  std::atomic<size_t> n_reads_{0};

 private:
  std::vector<double> temps_;
  std::vector<uint64_t> throttle_;
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(Sampler, SamplesOnItsThreadAndStopsPromptly) {
  auto src = std::make_unique<ScriptedSource>(std::vector<double>{});
  ScriptedSource* raw = src.get();
  Sampler sampler(std::move(src), {.interval = 5ms});
  EXPECT_FALSE(sampler.latest());
  sampler.start();
  ASSERT_TRUE(sampler.latest());  // the first reading is taken by start() itself
  EXPECT_TRUE(sampler.running());
  ASSERT_TRUE(eventually([&] { return sampler.size() >= 5; }, 5s));
  sampler.stop();
  EXPECT_FALSE(sampler.running());
  const size_t n = raw->n_reads_;
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(raw->n_reads_, n);  // really stopped
  auto h = sampler.history();
  ASSERT_GE(h.size(), 5u);
  for (size_t i = 1; i < h.size(); ++i) {
    EXPECT_GE(h[i].timestamp_ms, h[i - 1].timestamp_ms);
    EXPECT_EQ(h[i].cpu.usage_percent, h[i - 1].cpu.usage_percent + 1);  // in read order, none lost
  }
  sampler.start();  // restartable
  EXPECT_TRUE(sampler.running());
}

TEST(Sampler, StopDoesNotWaitForTheInterval) {
  Sampler sampler(std::make_unique<ScriptedSource>(std::vector<double>{}), {.interval = 10s});
  sampler.start();
  const auto t0 = std::chrono::steady_clock::now();
  sampler.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  sampler.stop();  // idempotent
}

TEST(Sampler, HistoryIsBounded) {
  Sampler sampler(std::make_unique<ScriptedSource>(std::vector<double>{}), {.interval = 1s, .max_samples = 3});
  for (int i = 0; i < 10; ++i) sampler.sample_now();
  ASSERT_EQ(sampler.size(), 3u);
  auto h = sampler.history();
  EXPECT_EQ(h.front().cpu.usage_percent, 7.0);
  EXPECT_EQ(sampler.latest()->cpu.usage_percent, 9.0);
}

TEST(Sampler, HistoryWindow) {
  Sampler sampler(std::make_unique<ScriptedSource>(std::vector<double>{}), {});
  sampler.sample_now();
  std::this_thread::sleep_for(30ms);
  sampler.sample_now();
  EXPECT_EQ(sampler.history(5ms).size(), 1u);
  EXPECT_EQ(sampler.history(10s).size(), 2u);
  EXPECT_EQ(sampler.history().size(), 2u);
}

struct Change {
  ThermalState from, to;
  double celsius;
};

TEST(Sampler, ThermalListenerSeesEachChange) {
  Sampler sampler(std::make_unique<ScriptedSource>(std::vector<double>{50, 72, 90, 96, 93, 50, 50}), {});
  std::vector<Change> changes;
  sampler.add_thermal_listener([&](ThermalState from, ThermalState to, const Sample& s) {
    changes.push_back({from, to, *s.cpu.temperature_c});
  });
  std::vector<ThermalState> states;
  for (int i = 0; i < 7; ++i) states.push_back(sampler.sample_now().thermal_state);
  using S = ThermalState;
  EXPECT_EQ(states, (std::vector<S>{S::kNominal, S::kFair, S::kSerious, S::kCritical, S::kCritical, S::kNominal,
                                    S::kNominal}));
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].from, S::kNominal);
  EXPECT_EQ(changes[0].to, S::kFair);
  EXPECT_EQ(changes[0].celsius, 72.0);
  EXPECT_EQ(changes[2].to, S::kCritical);
  EXPECT_EQ(changes[3].from, S::kCritical);
  EXPECT_EQ(changes[3].to, S::kNominal);
  EXPECT_EQ(sampler.thermal_state(), S::kNominal);
  EXPECT_GT(sampler.history()[3].thermal_pressure, 99.0);
}

TEST(Sampler, ListenerRunsOnSamplerThreadAndCanBeRemoved) {
  Sampler sampler(std::make_unique<ScriptedSource>(std::vector<double>{40, 40, 99}), {.interval = 2ms});
  std::atomic<int> calls{0};
  std::atomic<bool> other_thread{false};
  const auto main_id = std::this_thread::get_id();
  const int removed = sampler.add_thermal_listener([&](ThermalState, ThermalState, const Sample&) { calls += 100; });
  sampler.add_thermal_listener([&](ThermalState, ThermalState to, const Sample&) {
    if (to == ThermalState::kCritical) other_thread = std::this_thread::get_id() != main_id;
    ++calls;
  });
  sampler.remove_thermal_listener(removed);
  sampler.start();
  ASSERT_TRUE(eventually([&] { return calls.load() >= 1; }, 5s));
  sampler.stop();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_TRUE(other_thread.load());
}

TEST(Sampler, RisingThrottleCountIsSerious) {
  Sampler sampler(std::make_unique<ScriptedSource>(std::vector<double>{40}, std::vector<uint64_t>{5, 5, 7, 7}), {});
  EXPECT_EQ(sampler.sample_now().thermal_state, ThermalState::kNominal);  // no earlier count to compare
  EXPECT_EQ(sampler.sample_now().thermal_state, ThermalState::kNominal);
  EXPECT_EQ(sampler.sample_now().thermal_state, ThermalState::kSerious);
  EXPECT_EQ(sampler.sample_now().thermal_state, ThermalState::kNominal);  // 40 C is far below the hysteresis
}

TEST(SystemSource, SaneReadings) {
  auto src = make_system_source({});
  std::this_thread::sleep_for(20ms);
  Sample s = src->read();
  const int n_cpus = static_cast<int>(std::thread::hardware_concurrency());
  EXPECT_EQ(static_cast<int>(s.cpu.per_core.size()), n_cpus);
  EXPECT_GE(s.cpu.usage_percent, 0.0);
  EXPECT_LE(s.cpu.usage_percent, 100.0);
  for (double p : s.cpu.per_core) EXPECT_LE(p, 100.0);
  EXPECT_GT(s.memory.total_bytes, 0u);
  EXPECT_LE(s.memory.available_bytes, s.memory.total_bytes);
  EXPECT_GT(s.memory.percent, 0.0);
  EXPECT_GT(s.process.rss_bytes, 0u);
  EXPECT_GE(s.process.virtual_bytes, s.process.rss_bytes);
  EXPECT_GE(s.process.n_threads, 1);
  EXPECT_GE(s.process.n_open_files, 3);  // stdin, stdout, stderr
  EXPECT_EQ(s.cpu.load_average.size(), 3u);
  ASSERT_TRUE(s.disk);
  EXPECT_GT(s.disk->total_bytes, 0u);
  ASSERT_TRUE(s.network);
  EXPECT_TRUE(s.gpus.empty());  // no NVML handed in
}

TEST(SystemSource, CpuPercentRisesWhileAThreadSpins) {
  auto src = make_system_source({});
  std::this_thread::sleep_for(200ms);
  const Sample idle = src->read();
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  double spinner_cpu_s = 0.0;  // the spinning thread's own CPU time: the reference
  std::thread spinner([&] {
    volatile uint64_t x = 0;
    while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    spinner_cpu_s = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  });
  std::this_thread::sleep_for(300ms);
  const Sample busy = src->read();
  stop = true;
  spinner.join();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double spinner_pct = 100.0 * spinner_cpu_s / wall_s;  // ~100 on an idle machine, less when crowded
  // This process: ~0 before; while spinning at least (about) what the spinner got.
  EXPECT_LT(idle.process.cpu_percent, 20.0);
  EXPECT_GT(spinner_pct, 5.0) << "the spinner hardly ran";
  EXPECT_GT(busy.process.cpu_percent, 0.7 * spinner_pct - 5.0) << "spinner " << spinner_pct << "%";
  EXPECT_GT(busy.process.cpu_percent, idle.process.cpu_percent + 0.5 * spinner_pct - 5.0);
  // The machine-wide figure includes our spinning: its busy share of all CPUs
  // is at least (about) what this process used.
  const int n_cpus = static_cast<int>(busy.cpu.per_core.size());
  ASSERT_GE(n_cpus, 1);
  EXPECT_GE(busy.cpu.usage_percent * n_cpus, 0.5 * busy.process.cpu_percent);
  double max_core = 0;
  for (double p : busy.cpu.per_core) max_core = std::max(max_core, p);
  EXPECT_GE(max_core, 0.5 * spinner_pct);
}

}  // namespace
}  // namespace impetus::telemetry
