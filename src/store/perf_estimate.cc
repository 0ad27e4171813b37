#include "store/perf_estimate.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace impetus {

uint64_t model_memory_budget_bytes(const HardwareSummary& hw) {
  uint64_t budget =
      hw.available_memory_bytes > 0 ? hw.available_memory_bytes : hw.total_memory_bytes;
  for (const GpuSummary& g : hw.gpus) budget = std::max(budget, g.memory_bytes);
  return budget;
}

double bandwidth_tokens_per_sec(double bandwidth_gbps, double efficiency,
                                uint64_t bytes_per_token) {
  if (!(bandwidth_gbps > 0.0) || !(efficiency > 0.0) || bytes_per_token == 0) return 0.0;
  return efficiency * bandwidth_gbps * 1e9 / static_cast<double>(bytes_per_token);
}

PerfEstimator::PerfEstimator(HardwareSummary hardware, PerfOptions options,
                             PerfCalibration calibration)
    : hardware_(std::move(hardware)), options_(options), calibration_(std::move(calibration)) {}

PerfEstimate PerfEstimator::raw_estimate(uint64_t bytes_per_token) const {
  PerfEstimate e;
  // The fastest GPU that holds the model, if any.
  const GpuSummary* best = nullptr;
  for (const GpuSummary& g : hardware_.gpus) {
    if (!(g.memory_bandwidth_gbps > 0.0)) continue;
    const double need = static_cast<double>(bytes_per_token) * options_.gpu_headroom;
    if (static_cast<double>(g.memory_bytes) < need) continue;
    if (best == nullptr || g.memory_bandwidth_gbps > best->memory_bandwidth_gbps) best = &g;
  }
  if (best != nullptr) {
    e.device = "gpu";
    e.gpu_name = best->name;
    e.tokens_per_sec = bandwidth_tokens_per_sec(best->memory_bandwidth_gbps,
                                                options_.gpu_efficiency, bytes_per_token);
  } else {
    e.device = "cpu";
    e.tokens_per_sec = bandwidth_tokens_per_sec(hardware_.memory_bandwidth_gbps,
                                                options_.cpu_efficiency, bytes_per_token);
    const uint64_t ram = hardware_.available_memory_bytes > 0 ? hardware_.available_memory_bytes
                                                              : hardware_.total_memory_bytes;
    e.fits_in_memory = ram == 0 || bytes_per_token <= ram;
  }
  e.known = e.tokens_per_sec > 0.0;
  e.basis = e.known ? "bandwidth" : "unknown";
  return e;
}

PerfEstimate PerfEstimator::estimate(std::string_view model_id, uint64_t bytes_per_token,
                                     std::string_view quantization) const {
  PerfEstimate e = raw_estimate(bytes_per_token);
  // A measurement of this model: of this quantization first, else of the model.
  const MeasuredSpeed* m = nullptr;
  if (!quantization.empty()) {
    auto it = calibration_.measured.find(std::string(model_id) + ":" + std::string(quantization));
    if (it != calibration_.measured.end()) m = &it->second;
  }
  if (m == nullptr) {
    auto it = calibration_.measured.find(std::string(model_id));
    if (it != calibration_.measured.end()) m = &it->second;
  }
  if (m != nullptr && m->tokens_per_sec > 0.0 && std::isfinite(m->tokens_per_sec)) {
    double tps = m->tokens_per_sec;
    if (m->bytes_per_token > 0 && bytes_per_token > 0) {
      tps *= static_cast<double>(m->bytes_per_token) / static_cast<double>(bytes_per_token);
    }
    e.tokens_per_sec = tps;
    e.known = true;
    e.basis = "measured";
    return e;
  }
  const double ratio = calibration_.achieved_over_estimated;
  if (e.known && ratio > 0.0 && std::isfinite(ratio)) {
    e.tokens_per_sec *= ratio;
    e.basis = "bandwidth (calibrated)";
  }
  return e;
}

std::optional<double> calibration_ratio(const std::vector<BenchmarkSample>& samples,
                                        const PerfEstimator& estimator) {
  double log_sum = 0.0;
  int n = 0;
  for (const BenchmarkSample& s : samples) {
    if (!(s.measured_tokens_per_sec > 0.0) || !std::isfinite(s.measured_tokens_per_sec)) continue;
    const PerfEstimate e = estimator.raw_estimate(s.bytes_per_token);
    if (!e.known) continue;
    log_sum += std::log(s.measured_tokens_per_sec / e.tokens_per_sec);
    ++n;
  }
  if (n == 0) return std::nullopt;
  return std::exp(log_sum / n);
}

}  // namespace impetus
