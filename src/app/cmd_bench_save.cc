#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "app/bench_save.h"
#include "app/loaded_model.h"
#include "backend/cpu/isa.h"
#include "store/store_paths.h"
#include "telemetry/bench_store.h"
#include "telemetry/benchmark_task.h"
#include "telemetry/hardware.h"
#include "telemetry/nvml.h"
#include "telemetry/telemetry_json.h"

namespace impetus::app {
namespace {

// The machine as the server describes it (same fingerprint, same JSON).
HardwareIdentity detect_identity(const telemetry::Nvml* nvml) {
  const auto hw = telemetry::detect_hardware({.isa_features = cpu::cpu_features_string()}, nvml);
  return HardwareIdentity{hw.fingerprint, telemetry::hardware_info_json(hw, nullptr).dump()};
}

void print_run(const BenchRunRecord& r, const std::string& db) {
  std::printf("| %6s | %6s | %10s | %12s | %10s |\n", "prompt", "gen", "TTFT ms", "prompt tok/s", "gen tok/s");
  std::printf("| -----: | -----: | ---------: | -----------: | ---------: |\n");
  for (const auto& p : r.prompts) {
    std::printf("| %6d | %6d | %10.1f | %12.1f | %10.1f |\n", p.prompt_tokens, p.generated_tokens,
                p.ttft_ms.value_or(0.0), p.prompt_tokens_per_sec, p.generated_tokens_per_sec);
  }
  std::printf("\nall prompts: %.1f prompt tok/s, %.1f generated tok/s, TTFT mean %.1f ms, peak RSS %.1f MiB",
              r.prompt_tokens_per_sec, r.generated_tokens_per_sec, r.ttft_ms_avg.value_or(0.0),
              static_cast<double>(r.peak_memory_bytes) / (1 << 20));
  if (r.gpu_utilization_avg) std::printf(", GPU busy %.0f%%", *r.gpu_utilization_avg);
  std::printf("\nsaved as run %lld of '%s' (hardware %s) in %s\n", static_cast<long long>(r.id),
              r.model_id.c_str(), r.hardware_fingerprint.c_str(), db.c_str());
}

}  // namespace

void add_save_bench_options(CLI::App& bench, SaveBenchArgs& a) {
  bench.add_flag("--save", a.save,
                 "run the server's benchmark (as POST /api/models/benchmark) and store it in the history");
  bench.add_option("--database", a.database, "benchmark history (SQLite) of --save; default $IMPETUS_HOME/impetus.db");
  bench.add_option("--model-id", a.model_id, "the id --save stores the run under (default: the file name)");
  bench.add_option("--prompt-lengths", a.prompt_lengths, "prompt tokens of each measured request of --save")
      ->delimiter(',')->check(CLI::Range(1, 1 << 20))->capture_default_str();
  bench.add_option("--max-tokens", a.max_tokens, "tokens generated per request of --save")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  bench.add_option("--runs", a.runs, "timed runs of each prompt length of --save")
      ->check(CLI::Range(1, 20))->capture_default_str();
  a.n_prompt = bench.get_option("--n-prompt");
  a.n_gen = bench.get_option("--n-gen");
}

int run_save_bench(const SaveBenchArgs& a, HostOptions host, bool json) {
  if ((a.n_prompt && a.n_prompt->count() > 0) || (a.n_gen && a.n_gen->count() > 0)) {
    return report_error(invalid_argument(
        "--save runs the server's benchmark: give its prompts with --prompt-lengths and --max-tokens, not -p/-n"));
  }
  BenchmarkParams params;
  params.prompt_lengths.assign(a.prompt_lengths.begin(), a.prompt_lengths.end());
  params.max_tokens = a.max_tokens;
  params.runs = a.runs;
  if (Status st = validate_benchmark_params(params); !st.ok()) return report_error(st);
  const std::string db = a.database.empty() ? database_path() : a.database;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(db).parent_path(), ec);
  auto store = BenchStore::open(db);  // before the model: a bad file fails fast
  if (!store.ok()) return report_error(store.status());
  host.id = a.model_id.empty() ? model_id_from_path(host.path) : a.model_id;
  auto hosted = host_model(host);
  if (!hosted.ok()) return report_error(hosted.status());
  auto nvml = telemetry::Nvml::load();
  BenchmarkTaskOptions o;
  o.model_id = host.id;
  o.params = params;
  if (nvml && (*hosted)->backend->name().find("cuda") != std::string::npos) {
    o.gpu_utilization = [n = nvml.get()]() -> std::optional<double> {
      const auto gpus = n->sample();
      if (gpus.empty()) return std::nullopt;
      return gpus[0].utilization_percent;
    };
  }
  BenchmarkTask task(*(*hosted)->engine, o);
  auto record = task.run();
  (*hosted)->engine->shutdown();
  if (!record.ok()) return report_error(record.status());
  const HardwareIdentity hw = detect_identity(nvml.get());
  record->hardware_fingerprint = hw.fingerprint.empty() ? "unknown" : hw.fingerprint;
  record->hardware_json = hw.json;
  record->source = "cli";
  auto id = store->insert_run(*record);
  if (!id.ok()) return report_error(id.status());
  record->id = *id;
  if (json) {
    std::puts(bench_run_json(*record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    print_run(*record, db);
  }
  return 0;
}

}  // namespace impetus::app
