// The `impetus` subcommands. Each register_* adds one subcommand (with its
// flags) to the CLI and sets *exit_code when it runs.
#pragma once

#include <CLI/CLI.hpp>

namespace impetus::app {

void register_generate(CLI::App& app, int* exit_code);
void register_tokenize(CLI::App& app, int* exit_code);
void register_perplexity(CLI::App& app, int* exit_code);
void register_quantize(CLI::App& app, int* exit_code);
void register_info(CLI::App& app, int* exit_code);
void register_synth(CLI::App& app, int* exit_code);
void register_bench(CLI::App& app, int* exit_code);
void register_serve(CLI::App& app, int* exit_code);
void register_run(CLI::App& app, int* exit_code);

}  // namespace impetus::app
