#include "telemetry/telemetry.h"

#include <algorithm>

#include "core/log.h"
#include "telemetry/bandwidth_cache.h"

namespace impetus::telemetry {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SamplerOptions sampler_options(const TelemetryOptions& o) {
  SamplerOptions s;
  s.interval = std::max(std::chrono::milliseconds(1), o.interval);
  const auto history_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o.history).count();
  s.max_samples = static_cast<size_t>(std::max<int64_t>(1, history_ms / s.interval.count()));
  s.thresholds = o.thresholds;
  return s;
}

}  // namespace

Telemetry::Telemetry(TelemetryOptions options) : options_(std::move(options)), started_at_(unix_now()) {
  if (!options_.nvml_library.empty()) nvml_ = Nvml::load(options_.nvml_library);
  hardware_ = detect_hardware({.isa_features = options_.isa_features}, nvml_.get());
  SystemSourceOptions so;
  so.nvml = nvml_.get();
  so.disk_path = options_.disk_path;
  sampler_ = std::make_unique<Sampler>(make_system_source(so), sampler_options(options_));
}

Telemetry::Telemetry(TelemetryOptions options, HardwareInfo hardware, std::unique_ptr<SampleSource> source)
    : options_(std::move(options)), started_at_(unix_now()), hardware_(std::move(hardware)) {
  if (hardware_.fingerprint.empty()) hardware_.fingerprint = hardware_fingerprint(hardware_);
  sampler_ = std::make_unique<Sampler>(std::move(source), sampler_options(options_));
}

Telemetry::~Telemetry() { stop(); }

void Telemetry::start() {
  std::lock_guard life(lifecycle_mu_);
  if (sampler_->running()) return;
  sampler_->start();
  if (options_.probe_bandwidth && !probe_thread_.joinable()) {
    probe_thread_ = std::thread([this] { probe_bandwidth(); });
  }
}

void Telemetry::stop() {
  std::lock_guard life(lifecycle_mu_);
  sampler_->stop();
  if (probe_thread_.joinable()) probe_thread_.join();
}

HardwareInfo Telemetry::hardware() const {
  std::lock_guard lock(mu_);
  return hardware_;
}

void Telemetry::probe_bandwidth() {
  HardwareInfo hw = hardware();
  // A measurement taken while other work keeps the CPUs busy reads low; use
  // it for this run but do not remember it (the next start measures again).
  // A cached entry is still read back.
  const auto now = sampler_->latest();
  const bool busy = now && now->cpu.usage_percent > 50.0;
  std::string dir = options_.cache_dir;
  if (busy && !dir.empty()) {
    if (auto cached = read_cached_memory_bandwidth(dir, bandwidth_cache_key(hw.cpu))) {
      std::lock_guard lock(mu_);
      hardware_.memory_bandwidth = *cached;
      return;
    }
    IMP_LOG(kDebug, "CPUs busy: the memory bandwidth measured now is not cached");
    dir.clear();
  }
  auto bw = cached_memory_bandwidth(dir, bandwidth_cache_key(hw.cpu), default_probe_options(hw));
  if (!bw.ok()) {
    IMP_LOG(kWarn, "memory bandwidth probe failed: ", bw.status().message());
    return;
  }
  IMP_LOG(kDebug, "memory bandwidth ", bw->read_gbps, " GB/s read", bw->from_cache ? " (cached)" : "");
  std::lock_guard lock(mu_);
  hardware_.memory_bandwidth = *bw;
}

}  // namespace impetus::telemetry
