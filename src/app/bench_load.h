// `impetus bench --concurrency 1,4,8,16`: the serving load generator
// (engine/load_generator.h) on a model hosted in-process exactly as
// `impetus serve` hosts it; and `impetus bench --multi-turn N`, the chat that
// re-sends its history, with the prefix cache on and then off.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/model_host.h"
#include "engine/load_generator.h"

namespace impetus::app {

struct LoadBenchArgs {
  HostOptions host;                  // model path, threads, max running, KV budget
  std::vector<int> concurrency;      // levels to run, in order
  impetus::LoadOptions load;                  // prompt/generation lengths, requests per client
  int multi_turn = 0;                // > 0: run the multi-turn test with this many turns
  MultiTurnOptions turns;
  bool json = false;
};

// Registers the options on `bench` (shared with the pp/tg benchmark).
void add_load_bench_options(CLI::App& bench, LoadBenchArgs& args);
bool load_bench_requested(const LoadBenchArgs& args);
int run_load_bench(LoadBenchArgs args);

}  // namespace impetus::app
