// BenchStore: the history of benchmark runs in a SQLite file (by default
// ~/.impetus/impetus.db), so that speeds can be compared across models,
// versions and machines. One row per run (model, hardware fingerprint,
// parameters, summary figures) and one child row per measured prompt.
//
//   IMP_ASSIGN_OR_RETURN(BenchStore store, BenchStore::open(default_bench_db_path()));
//   IMP_ASSIGN_OR_RETURN(int64_t id, store.insert_run(record));
//   IMP_ASSIGN_OR_RETURN(auto runs, store.history("llama-3.2-1b", 20));
//
// The file runs in WAL mode with a busy timeout; its schema is versioned
// (PRAGMA user_version) and migrated forward on open. Failures never crash:
// a file that is not a database is DATA_LOSS, a database locked by another
// process is UNAVAILABLE, a schema newer than this build is
// FAILED_PRECONDITION. Thread-safe: one connection guarded by a mutex.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "telemetry/sqlite_db.h"

namespace impetus {

// The figures of one measured prompt.
struct BenchPromptResult {
  int32_t prompt_tokens = 0;           // tokens in the prompt
  int32_t generated_tokens = 0;        // completion tokens
  int32_t cached_prompt_tokens = 0;    // prompt tokens the prefix cache supplied (0 in a fair run)
  std::optional<double> ttft_ms;       // submit -> first generated token's event
  double prompt_tokens_per_sec = 0.0;  // prompt_tokens / ttft
  double generated_tokens_per_sec = 0.0;  // tokens after the first event / time after it
  double total_ms = 0.0;                  // submit -> last event
};

// One benchmark run of one model on one machine.
struct BenchRunRecord {
  int64_t id = 0;        // set by the store
  std::string model_id;  // the served name
  std::string model_path;
  uint64_t model_file_size = 0;      // bytes
  std::string quantization;          // "Q4_K_M", "F16", ... ("" unknown)
  std::string hardware_fingerprint;  // stable id of the machine (CPU, GPUs, memory)
  std::string hardware_json = "{}";  // the hardware description behind the fingerprint
  int64_t started_at_ms = 0;         // unix time, milliseconds
  int64_t finished_at_ms = 0;
  std::string source = "api";         // "api" (server) or "cli" (impetus bench --save)
  std::string params_json = "{}";     // what was run (prompt lengths, max tokens, ...)
  std::optional<double> ttft_ms_avg;  // over the measured prompts
  std::optional<double> ttft_ms_p50;
  double prompt_tokens_per_sec = 0.0;         // all prompt tokens / all prompt time
  double generated_tokens_per_sec = 0.0;      // all decode tokens / all decode time
  uint64_t peak_memory_bytes = 0;             // peak resident memory of the process during the run
  std::optional<double> gpu_utilization_avg;  // percent, when a GPU was sampled
  std::vector<BenchPromptResult> prompts;     // (n_prompts) in the order run
};

// Runs of one model on one machine, summarized.
struct BenchComparisonRow {
  std::string model_id;
  std::string hardware_fingerprint;
  std::string hardware_json;  // of the latest run
  std::string quantization;   // of the latest run
  int64_t run_count = 0;
  std::optional<double> avg_ttft_ms;
  double avg_prompt_tokens_per_sec = 0.0;
  double avg_generated_tokens_per_sec = 0.0;
  double best_prompt_tokens_per_sec = 0.0;
  double best_generated_tokens_per_sec = 0.0;
  uint64_t peak_memory_bytes = 0;  // the largest of the runs
  std::optional<double> avg_gpu_utilization;
  int64_t first_run_at_ms = 0;
  int64_t last_run_at_ms = 0;
};

// Which runs an export or query covers; empty / zero fields do not filter.
struct BenchFilter {
  std::string model_id;
  std::string hardware_fingerprint;
  std::string source;    // "api" or "cli"
  int64_t since_ms = 0;  // started_at_ms >= since_ms
  int64_t until_ms = 0;  // started_at_ms < until_ms
  int64_t limit = 0;     // newest first; 0 = all
};

struct BenchStoreOptions {
  int busy_timeout_ms = 2000;  // wait this long for another process's lock
};

// What `impetus bench` measures (engine/bench_runner.h, llama-bench style), for --save.
struct CliBenchResult {
  std::string model_id;  // usually the file name without .gguf
  std::string model_path;
  uint64_t model_file_size = 0;
  std::string quantization;  // main weight type ("Q4_0", ...)
  std::string hardware_fingerprint;
  std::string hardware_json = "{}";
  int64_t started_at_ms = 0;
  int64_t finished_at_ms = 0;
  int32_t n_prompt = 0;  // tokens of the pp test (0 = not run)
  int32_t n_gen = 0;     // tokens of the tg test (0 = not run)
  int32_t n_reps = 0;
  int32_t n_threads = 0;
  std::string isa;                          // "avx512", ...
  std::optional<double> pp_tokens_per_sec;  // mean of the pp runs
  std::optional<double> tg_tokens_per_sec;  // mean of the tg runs
  uint64_t peak_memory_bytes = 0;
  std::optional<double> gpu_utilization_avg;
};

class BenchStore {
 public:
  // Opens or creates the file (and its folder), sets WAL mode, migrates the schema.
  static StatusOr<BenchStore> open(const std::string& path, const BenchStoreOptions& options = {});
  // The schema version this build writes.
  static int schema_version();

  BenchStore(BenchStore&&) noexcept = default;
  BenchStore& operator=(BenchStore&&) noexcept = default;

  // Validates and stores a run and its prompts (one transaction); returns its id.
  StatusOr<int64_t> insert_run(const BenchRunRecord& run);
  // The model's runs, newest first, with their prompts; limit in [1, 1000].
  StatusOr<std::vector<BenchRunRecord>> history(const std::string& model_id, int64_t limit = 20);
  // Runs matching the filter, newest first, with their prompts.
  StatusOr<std::vector<BenchRunRecord>> runs(const BenchFilter& filter);
  // One row per (model, hardware fingerprint), ordered by model then fingerprint.
  StatusOr<std::vector<BenchComparisonRow>> comparison();
  // Runs matching the filter, one CSV line each after a header line (RFC 4180).
  StatusOr<std::string> export_csv(const BenchFilter& filter = {});
  // {"schema_version", "exported_at", "runs": [bench_run_json...]}.
  StatusOr<std::string> export_json(const BenchFilter& filter = {});

  const std::string& path() const { return path_; }

 private:
  BenchStore(SqliteDb db, std::string path);
  StatusOr<std::vector<BenchRunRecord>> query_runs(const BenchFilter& filter);
  Status load_prompts(std::vector<BenchRunRecord>& runs);

  std::unique_ptr<std::mutex> mu_;
  SqliteDb db_;  // guarded by *mu_
  std::string path_;
};

// $IMPETUS_HOME/impetus.db, else $HOME/.impetus/impetus.db (else ./.impetus/impetus.db).
std::string default_bench_db_path();

// Checks the fields a run must have (model id, source, valid JSON, finite figures).
Status validate_bench_run(const BenchRunRecord& run);

// Stores an `impetus bench` result as a run with source "cli": pp becomes
// the prompt rate (and TTFT = n_prompt / pp), tg the generation rate, one
// prompt row; params_json records n_prompt, n_gen, reps, threads and isa.
StatusOr<int64_t> save_cli_bench(BenchStore& store, const CliBenchResult& result);
// The record save_cli_bench stores (for callers that want to show it).
BenchRunRecord cli_bench_record(const CliBenchResult& result);

// JSON views used by the API and the exports.
nlohmann::json bench_run_json(const BenchRunRecord& run);
nlohmann::json bench_comparison_json(const BenchComparisonRow& row);
// "2025-01-31T12:34:56.789Z"
std::string iso8601_utc_ms(int64_t unix_ms);

}  // namespace impetus
