// `impetus bench -m MODEL --save`: runs the server's benchmark (the fixed
// prompts of several lengths that POST /api/models/benchmark/{id} runs,
// telemetry/benchmark_task.h) on the model hosted in-process exactly as
// `impetus serve` hosts it, prints the figures and stores the run in the
// benchmark history (SQLite, the same file the server uses, source "cli"),
// so CLI and API runs of a model on a machine are compared side by side.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/model_host.h"

namespace impetus::app {

struct SaveBenchArgs {
  bool save = false;
  std::string database;              // "" = database_path() ($IMPETUS_HOME/impetus.db)
  std::string model_id;              // stored under this id; "" = the file name without .gguf
  std::vector<int> prompt_lengths = {32, 128, 512};
  int max_tokens = 64;
  int runs = 1;
  CLI::Option* n_prompt = nullptr;   // -p / -n: refused with --save (their test is another one)
  CLI::Option* n_gen = nullptr;
};

// Registers --save, --database, --model-id, --prompt-lengths, --max-tokens and --runs on `bench`.
void add_save_bench_options(CLI::App& bench, SaveBenchArgs& args);
int run_save_bench(const SaveBenchArgs& args, HostOptions host, bool json);

}  // namespace impetus::app
