// Decode speed estimates for catalog models on this machine, before any
// download: generating one token reads (about) every weight once, so decode
// is bound by memory bandwidth and
//
//   tokens/s ~= efficiency * bandwidth (bytes/s) / bytes read per token
//
// with bytes read per token taken as the GGUF file size (an upper bound: a
// model whose token-embedding table is not also its output matrix reads only
// one row of it per token: 2-8% of the file for the untied models of the catalog).
// The efficiency factors are documented defaults (see PerfOptions); results
// the user measured refine them: an exact measurement of a model replaces its
// estimate, and the ratio achieved/estimated over the user's benchmarks
// scales every other estimate.
//
//   PerfEstimator perf(hardware, {}, calibration);
//   PerfEstimate e = perf.estimate("qwen3-4b", file.size_bytes);
//   if (e.known) show(e.tokens_per_sec);
//
// HardwareSummary is the small view of the machine the store needs; the
// telemetry library fills it from real detection (the server bridges them).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace impetus {

struct GpuSummary {
  std::string name;                    // "NVIDIA H100 80GB HBM3"
  uint64_t memory_bytes = 0;           // device memory (total)
  double memory_bandwidth_gbps = 0.0;  // 1e9 bytes/s; 0 = unknown (then the GPU is not used)
};

struct HardwareSummary {
  double memory_bandwidth_gbps = 0.0;   // host RAM read bandwidth, 1e9 bytes/s; 0 = unknown
  uint64_t total_memory_bytes = 0;      // host RAM; 0 = unknown
  uint64_t available_memory_bytes = 0;  // host RAM free for a model now; 0 = unknown
  std::vector<GpuSummary> gpus;
};

// The memory a model may use: available RAM (else total RAM), or the largest
// GPU's memory if that is larger. 0 when nothing is known.
uint64_t model_memory_budget_bytes(const HardwareSummary& hw);

struct PerfOptions {
  // Achieved / peak bandwidth while decoding on the CPU: Impetus reaches 50-58%
  // of the machine's measured read bandwidth on TinyLlama-1.1B with 2 threads
  // (docs/performance.md); 0.6 is that, rounded up.
  double cpu_efficiency = 0.6;
  // The same on a GPU: kernel launch and synchronisation costs per token weigh
  // more on a fast device, so a lower share of its bandwidth is reached.
  double gpu_efficiency = 0.5;
  // A model goes on a GPU only if file size * this fits its memory (room for
  // the KV cache and scratch buffers).
  double gpu_headroom = 1.2;
};

// A speed the user measured on this machine (a benchmark run).
struct MeasuredSpeed {
  double tokens_per_sec = 0.0;   // decode speed
  uint64_t bytes_per_token = 0;  // size of the file measured; 0 = the same file as estimated
};

struct PerfCalibration {
  // Keyed by model id (a catalog id, or "id:QUANT" for one quantization). A
  // measurement of another file size of the same model is scaled by the size
  // ratio (decode time is proportional to the bytes read).
  std::map<std::string, MeasuredSpeed> measured;
  // achieved / estimated over the user's benchmarks (calibration_ratio());
  // scales every estimate without a measurement. 0 = none.
  double achieved_over_estimated = 0.0;
};

struct PerfEstimate {
  bool known = false;           // false: no bandwidth known for the device that would run it
  double tokens_per_sec = 0.0;  // 0 when !known
  std::string device;           // "gpu" or "cpu"
  std::string gpu_name;         // the GPU chosen ("" on the CPU)
  std::string basis;            // "measured", "bandwidth", "bandwidth (calibrated)" or "unknown"
  bool fits_in_memory = true;   // false: larger than the memory known to be available
};

// efficiency * bandwidth / bytes; 0 when any input is not positive.
double bandwidth_tokens_per_sec(double bandwidth_gbps, double efficiency, uint64_t bytes_per_token);

class PerfEstimator {
 public:
  explicit PerfEstimator(HardwareSummary hardware, PerfOptions options = {},
                         PerfCalibration calibration = {});

  // The decode speed of a model whose weights are `bytes_per_token` bytes.
  // `quantization` ("" = none) selects an "id:QUANT" measurement first.
  PerfEstimate estimate(std::string_view model_id, uint64_t bytes_per_token,
                        std::string_view quantization = "") const;

  // The bandwidth model alone (no measurement, no calibration).
  PerfEstimate raw_estimate(uint64_t bytes_per_token) const;

  const HardwareSummary& hardware() const { return hardware_; }

 private:
  HardwareSummary hardware_;
  PerfOptions options_;
  PerfCalibration calibration_;
};

// One benchmark the user ran: a file of `bytes_per_token` bytes decoded at
// `measured_tokens_per_sec`.
struct BenchmarkSample {
  uint64_t bytes_per_token = 0;
  double measured_tokens_per_sec = 0.0;
};

// The geometric mean of measured / raw_estimate over the samples the
// bandwidth model can estimate (others are skipped); nullopt when none is.
std::optional<double> calibration_ratio(const std::vector<BenchmarkSample>& samples,
                                        const PerfEstimator& estimator);

}  // namespace impetus
