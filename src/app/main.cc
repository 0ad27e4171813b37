// impetus: the command-line entry point. Every subcommand lives in its own
// cmd_*.cc file; this file only wires them together.
#include <cstdio>

#include "app/cmd_pull.h"
#include "app/commands.h"
#include "app/version.h"

int main(int argc, char** argv) {
  CLI::App app{"Impetus: a local LLM server and inference engine"};
  app.set_version_flag("--version", std::string("impetus ") + impetus::app::kVersion);
  app.require_subcommand(1);
  int exit_code = 0;
  impetus::app::register_serve(app, &exit_code);
  impetus::app::register_run(app, &exit_code);
  impetus::app::register_generate(app, &exit_code);
  impetus::app::register_tokenize(app, &exit_code);
  impetus::app::register_perplexity(app, &exit_code);
  impetus::app::register_quantize(app, &exit_code);
  impetus::app::register_info(app, &exit_code);
  impetus::app::register_synth(app, &exit_code);
  impetus::app::register_bench(app, &exit_code);
  impetus::app::register_pull(app, &exit_code);
  impetus::app::register_list(app, &exit_code);
  impetus::app::register_rm(app, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
