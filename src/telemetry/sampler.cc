#include "telemetry/sampler.h"

#include <algorithm>

#include "core/check.h"

namespace impetus::telemetry {
namespace {

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Sampler::Sampler(std::unique_ptr<SampleSource> source, SamplerOptions options)
    : source_(std::move(source)), options_(options), gpus_(source_ ? source_->gpus() : std::vector<GpuDescription>{}) {
  IMP_CHECK(source_ != nullptr, "Sampler needs a source");
  IMP_CHECK(options_.interval.count() >= 1, "sampler interval must be >= 1 ms");
  IMP_CHECK(options_.max_samples >= 1, "sampler history must hold >= 1 sample");
}

Sampler::~Sampler() { stop(); }

void Sampler::start() {
  std::lock_guard life(lifecycle_mu_);
  if (thread_.joinable()) return;
  sample_now();
  {
    std::lock_guard lock(mu_);
    stop_requested_ = false;
    started_ = true;
  }
  thread_ = std::thread([this] { loop(); });
}

void Sampler::stop() {
  std::lock_guard life(lifecycle_mu_);
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  started_ = false;
}

bool Sampler::running() const {
  std::lock_guard lock(mu_);
  return started_ && !stop_requested_;
}

void Sampler::loop() {
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    next += options_.interval;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + options_.interval;  // a slow read: skip, don't burst
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [this] { return stop_requested_; })) return;
    }
    sample_now();
  }
}

Sample Sampler::sample_now() {
  std::lock_guard read_lock(read_mu_);
  Sample s = source_->read();
  s.timestamp_ms = unix_ms_now();
  const bool throttled = last_throttle_count_ && s.cpu.throttle_count && *s.cpu.throttle_count > *last_throttle_count_;
  if (s.cpu.throttle_count) last_throttle_count_ = s.cpu.throttle_count;
  const ThermalInputs inputs = thermal_inputs(s, gpus_, throttled);
  s.thermal_pressure = thermal_pressure_percent(inputs, options_.thresholds);

  ThermalState before;
  std::vector<std::shared_ptr<ThermalListener>> to_call;
  {
    std::lock_guard lock(mu_);
    before = thermal_;
    s.thermal_state = derive_thermal_state(inputs, options_.thresholds, before);
    thermal_ = s.thermal_state;
    history_.push_back(s);
    while (history_.size() > options_.max_samples) history_.pop_front();
    if (s.thermal_state != before) {
      for (const auto& [id, fn] : listeners_) to_call.push_back(fn);
    }
  }
  for (const auto& fn : to_call) (*fn)(before, s.thermal_state, s);
  return s;
}

std::optional<Sample> Sampler::latest() const {
  std::lock_guard lock(mu_);
  if (history_.empty()) return std::nullopt;
  return history_.back();
}

std::vector<Sample> Sampler::history(std::chrono::milliseconds window) const {
  std::lock_guard lock(mu_);
  if (history_.empty()) return {};
  const int64_t from = window.count() > 0 ? history_.back().timestamp_ms - window.count() : INT64_MIN;
  auto first = std::find_if(history_.begin(), history_.end(),
                            [from](const Sample& s) { return s.timestamp_ms >= from; });
  return std::vector<Sample>(first, history_.end());
}

size_t Sampler::size() const {
  std::lock_guard lock(mu_);
  return history_.size();
}

ThermalState Sampler::thermal_state() const {
  std::lock_guard lock(mu_);
  return thermal_;
}

int Sampler::add_thermal_listener(ThermalListener listener) {
  std::lock_guard lock(mu_);
  const int id = next_listener_id_++;
  listeners_[id] = std::make_shared<ThermalListener>(std::move(listener));
  return id;
}

void Sampler::remove_thermal_listener(int id) {
  std::lock_guard lock(mu_);
  listeners_.erase(id);
}

}  // namespace impetus::telemetry
