// Sampler: reads a SampleSource on its own thread at a fixed interval and
// keeps a bounded history (a ring of the last max_samples readings, 10
// minutes at the default 1 s). Each sample gets its timestamp and the thermal
// state derived from it (thermal.h); when the state changes, the thermal
// listeners run on the sampler thread (the server emits `thermal_warning`
// and, at critical, switches to efficiency mode). stop() wakes the thread
// through a condition variable, so it returns within one source read.
//
//   Sampler sampler(make_system_source({.nvml = nvml.get()}), {});
//   sampler.add_thermal_listener([](ThermalState from, ThermalState to, const Sample& s) { ... });
//   sampler.start();
//   std::optional<Sample> now = sampler.latest();
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "telemetry/sample.h"
#include "telemetry/thermal.h"

namespace impetus::telemetry {

struct SamplerOptions {
  std::chrono::milliseconds interval{1000};  // between readings (>= 1 ms)
  size_t max_samples = 600;                  // history length (>= 1)
  ThermalThresholds thresholds;              // for the thermal state
};

class Sampler {
 public:
  // from -> to, and the sample that caused it.
  using ThermalListener = std::function<void(ThermalState from, ThermalState to, const Sample& sample)>;

  Sampler(std::unique_ptr<SampleSource> source, SamplerOptions options);
  ~Sampler();  // stop()
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Takes the first reading on the calling thread (so latest() has one when
  // start() returns), then starts the thread, which reads every interval.
  // Idempotent.
  void start();
  // Stops and joins the thread. Idempotent; safe without start().
  void stop();
  bool running() const;

  // Takes one reading on the calling thread (as the thread does each tick).
  // Useful before start() and in tests. Thread-safe with the sampler thread.
  Sample sample_now();

  std::optional<Sample> latest() const;
  // Samples no older than `window` before the latest one, oldest first
  // (window 0: the whole history).
  std::vector<Sample> history(std::chrono::milliseconds window = std::chrono::milliseconds(0)) const;
  size_t size() const;
  ThermalState thermal_state() const;
  const SamplerOptions& options() const { return options_; }

  // Returns an id for remove_thermal_listener. Listeners run on the thread
  // that took the sample, one change at a time and in order, outside the
  // history lock (latest(), history() and thermal_state() are fine); they
  // must not call stop() or sample_now().
  int add_thermal_listener(ThermalListener listener);
  void remove_thermal_listener(int id);

 private:
  void loop();

  const std::unique_ptr<SampleSource> source_;
  const SamplerOptions options_;
  const std::vector<GpuDescription> gpus_;

  std::mutex lifecycle_mu_;  // start() / stop()
  std::mutex read_mu_;    // one source read (and its thermal bookkeeping) at a time
  std::optional<uint64_t> last_throttle_count_;

  mutable std::mutex mu_;  // guards what follows
  std::deque<Sample> history_;
  ThermalState thermal_ = ThermalState::kNominal;
  std::map<int, std::shared_ptr<ThermalListener>> listeners_;
  int next_listener_id_ = 1;
  bool started_ = false;
  bool stop_requested_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace impetus::telemetry
