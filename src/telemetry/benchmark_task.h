// Benchmarks of a served model, run through its EngineClient (never the
// model itself), so they measure what an API client sees:
//   TTFT          submit -> the first event carrying a generated token;
//   prompt tok/s  prompt tokens / TTFT;
//   gen tok/s     tokens generated after that event / the time after it;
//   peak memory   the process's resident set during the run;
//   GPU busy      the average of an optional utilisation sampler (NVML).
// A fixed English text is tokenized by the model's tokenizer and cut to
// each prompt length (e.g. 32, 128, 512 tokens, clipped to the context);
// every prompt starts with a distinct random tag so the prefix cache never
// serves one from another. An untimed short warm-up goes first; generation
// is greedy with EOS ignored and a fixed max_tokens. Other clients' requests
// running at the same time slow it down: the figures are what a client saw.
//
// BenchmarkTask runs one benchmark on the calling thread. BenchmarkRunner
// runs tasks on threads of their own (one per model at a time), keeps
// their status for polling, saves finished runs in a BenchStore and
// reports progress and completion through callbacks.
//
//   BenchmarkRunner runner({.store = &store, .hardware = detect_hardware});
//   IMP_ASSIGN_OR_RETURN(std::string id, runner.start("llama", engine, {}));
//   std::optional<BenchmarkTaskStatus> st = runner.status(id);
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "engine/engine_client.h"
#include "telemetry/bench_store.h"

namespace impetus {

// The machine a run is measured on (computed by the hardware detection).
struct HardwareIdentity {
  std::string fingerprint;  // stable short id; "" becomes "unknown"
  std::string json = "{}";  // the description behind it
};

struct BenchmarkParams {
  std::vector<int32_t> prompt_lengths = {32, 128,
                                         512};  // tokens of each measured prompt (1..16 lengths)
  int32_t max_tokens = 64;  // tokens generated per prompt, EOS ignored (1..4096)
  int32_t runs = 1;         // timed runs of each prompt length (1..20)
  bool warmup = true;       // one untimed short request first
};

// INVALID_ARGUMENT naming the field that is out of range.
Status validate_benchmark_params(const BenchmarkParams& params);

// What a benchmark runs once clipped to the context: every prompt plus its
// max_tokens fits in n_ctx; lengths are distinct, in the order asked.
struct BenchmarkPlan {
  std::vector<int32_t> prompt_lengths;
  int32_t max_tokens = 0;
};
StatusOr<BenchmarkPlan> plan_benchmark(const BenchmarkParams& params, int32_t n_ctx);

struct BenchmarkProgress {
  std::string task_id;
  std::string model_id;
  std::string phase;                      // "starting", "warmup", "measuring", "done"
  int32_t step = 0;                       // requests finished (warm-up included)
  int32_t n_steps = 0;                    // requests in all
  int32_t prompt_tokens = 0;              // of the request just finished
  std::optional<BenchPromptResult> last;  // figures of the measured request just finished
};

// "Q4_K_M", "Q8_0", "F16", ... when the file name says so, else "".
std::string quantization_from_file_name(const std::string& path);

// Resident memory of this process now and its high-water mark (bytes;
// 0 where /proc/self/status is not available).
struct ProcessMemory {
  uint64_t rss_bytes = 0;
  uint64_t hwm_bytes = 0;
};
ProcessMemory read_process_memory();

struct BenchmarkTaskOptions {
  std::string task_id;
  std::string model_id;
  BenchmarkParams params;
  // Percent busy of the GPU the model runs on; empty or nullopt: not measured.
  std::function<std::optional<double>()> gpu_utilization;
  // Called on the task's thread after each request (and once at the start).
  std::function<void(const BenchmarkProgress&)> on_progress;
  std::chrono::milliseconds sample_interval{100};  // memory / GPU sampling period
  uint64_t nonce = 0;                              // seeds the prompts' distinct tags; 0 = random
};

class BenchmarkTask {
 public:
  // The engine must outlive the task.
  BenchmarkTask(EngineClient& engine, BenchmarkTaskOptions options);

  // Runs the benchmark on the calling thread. The record has everything but
  // the id, hardware and source; CANCELLED after cancel(), the engine's
  // Status when a request fails.
  StatusOr<BenchRunRecord> run();
  // Thread-safe: the request in flight is cancelled and run() returns soon.
  void cancel();

  // The index-th request's prompt (0 = warm-up), exactly n_tokens long
  // (BOS if the model wants one, the distinct tag, then the fixed text).
  std::vector<int32_t> build_prompt(int32_t n_tokens, int32_t index) const;

 private:
  struct Measurement {
    BenchPromptResult figures;
    int32_t decode_tokens = 0;  // tokens generated after the first event
    double decode_s = 0.0;      // time from the first event to the last
  };
  StatusOr<Measurement> measure(const std::vector<int32_t>& prompt, int32_t max_tokens);
  void report(const std::string& phase, int32_t step, int32_t n_steps, int32_t prompt_tokens,
              const std::optional<BenchPromptResult>& last) const;
  StatusOr<std::vector<Measurement>> run_requests(const BenchmarkPlan& plan);

  EngineClient& engine_;
  BenchmarkTaskOptions options_;
  std::vector<int32_t> text_tokens_;  // the fixed text, tokenized once
  std::atomic<bool> cancelled_{false};
};

enum class BenchmarkState { kRunning, kSucceeded, kFailed, kCancelled };
const char* benchmark_state_name(BenchmarkState state);  // "running", "succeeded", ...

struct BenchmarkTaskStatus {
  std::string task_id;
  std::string model_id;
  BenchmarkState state = BenchmarkState::kRunning;
  BenchmarkProgress progress;            // the latest
  Status error;                          // kFailed / kCancelled: why
  std::optional<BenchRunRecord> result;  // kSucceeded (id set when saved)
  bool saved = false;                    // stored in the history
  Status save_error;                     // why not, when it was not
  int64_t created_at_ms = 0;             // unix time
  int64_t finished_at_ms = 0;            // 0 while running
};

nlohmann::json benchmark_progress_json(const BenchmarkProgress& progress);
nlohmann::json benchmark_status_json(const BenchmarkTaskStatus& status);

struct BenchmarkRunnerOptions {
  BenchStore* store = nullptr;  // where finished runs go; null: kept in the task status only
  Status store_status;          // why `store` is null (reported by the routes)
  std::function<HardwareIdentity()> hardware;              // empty: "unknown"
  std::function<std::optional<double>()> gpu_utilization;  // percent; empty: not measured
  // The model's weight type; empty: quantization_from_file_name(info.model_path).
  std::function<std::string(const EngineInfo& info)> quantization;
  std::function<void(const BenchmarkProgress&)> on_progress;    // task thread
  std::function<void(const BenchmarkTaskStatus&)> on_complete;  // task thread, once per task
  std::chrono::milliseconds sample_interval{100};
  size_t max_finished_tasks = 64;  // statuses of finished tasks kept for polling
};

class BenchmarkRunner {
 public:
  explicit BenchmarkRunner(BenchmarkRunnerOptions options);
  // Cancels running tasks and waits for them.
  ~BenchmarkRunner();
  BenchmarkRunner(const BenchmarkRunner&) = delete;
  BenchmarkRunner& operator=(const BenchmarkRunner&) = delete;

  // Starts a benchmark of `model_id` on its own thread and returns the task
  // id; the task keeps `engine` alive until it ends. FAILED_PRECONDITION when
  // that model has one running (the message names its task);
  // INVALID_ARGUMENT for bad params.
  StatusOr<std::string> start(const std::string& model_id, std::shared_ptr<EngineClient> engine,
                              const BenchmarkParams& params);
  std::optional<BenchmarkTaskStatus> status(const std::string& task_id) const;
  // The task running for a model, if any.
  std::optional<std::string> running_task(const std::string& model_id) const;
  void cancel(const std::string& task_id);
  // Blocks until the task has finished and its on_complete has run (true), or `timeout` passed (false).
  bool wait(const std::string& task_id, std::chrono::milliseconds timeout) const;

  BenchStore* store() const { return options_.store; }
  const Status& store_status() const { return options_.store_status; }

 private:
  struct Entry;
  void run_task(const std::shared_ptr<Entry>& entry);
  void finish(const std::shared_ptr<Entry>& entry, StatusOr<BenchRunRecord> result,
              const EngineInfo& info);
  void reap_locked();
  std::optional<std::string> running_task_locked(const std::string& model_id) const;

  BenchmarkRunnerOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable finished_cv_;
  std::map<std::string, std::shared_ptr<Entry>> tasks_;  // guarded by mu_
  std::vector<std::string> finished_order_;              // guarded by mu_, oldest first
};

}  // namespace impetus
