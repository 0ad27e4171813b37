// `impetus synth -o OUT --shape NAME`: writes a random-weight llama model of
// a known shape (see app/synth_model.h), for benchmarks without downloads.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "app/commands.h"
#include "app/loaded_model.h"
#include "app/synth_model.h"

namespace impetus::app {
namespace {

struct SynthArgs {
  std::string out, shape = "tinyllama-1.1b", type = "f16", vocab;
  uint64_t seed = 1;
  int n_threads = 0;
};

int run_synth(const SynthArgs& a) {
  auto shape = find_synth_shape(a.shape);
  if (!shape.ok()) return report_error(shape.status());
  auto type = dtype_from_name(a.type);
  if (!type.ok()) return report_error(type.status());
  SynthOptions o;
  o.shape = *shape;
  o.type = *type;
  o.seed = a.seed;
  o.vocab_path = a.vocab;
  o.n_threads = a.n_threads;
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = write_synth_model(o, a.out); !s.ok()) return report_error(s);
  const double sec =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  const auto size = std::filesystem::file_size(a.out, ec);
  std::printf("wrote %s: %s, %s weights, %.1f MiB in %.1f s\n", a.out.c_str(), o.shape.name.c_str(),
              std::string(dtype_name(o.type)).c_str(), ec ? 0.0 : static_cast<double>(size) / (1 << 20),
              sec);
  return 0;
}

}  // namespace

void register_synth(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SynthArgs>();
  auto* cmd = app.add_subcommand("synth", "Write a random-weight llama model of a known shape");
  cmd->add_option("-o,--output", args->out, "output GGUF file")->required();
  cmd->add_option("--shape", args->shape, "tinyllama-1.1b, llama2-7b or tiny")->capture_default_str();
  cmd->add_option("--type", args->type,
                  "weight type: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed (same seed, same file)")->capture_default_str();
  cmd->add_option("--vocab", args->vocab, "copy the tokenizer of this GGUF file (default: synthetic)");
  cmd->add_option("-t,--threads", args->n_threads, "generation threads (0 = all)")
      ->check(CLI::Range(0, 1024));
  cmd->callback([args, exit_code] { *exit_code = run_synth(*args); });
}

}  // namespace impetus::app
