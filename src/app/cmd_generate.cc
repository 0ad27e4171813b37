// `impetus generate`: greedy or sampled generation from a prompt, streamed to
// stdout, or one JSON object with --json.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/backend_select.h"
#include "app/commands.h"
#include "app/loaded_model.h"
#include "engine/generator.h"

namespace impetus::app {
namespace {

struct GenerateArgs {
  LoadOptions load;
  std::string prompt;
  int32_t n_predict = 32;
  float temp = 0.8f;
  std::optional<uint64_t> seed;
  int32_t top_k = 40;
  float top_p = 0.95f;
  float min_p = 0.05f;
  float repeat_penalty = 1.0f;
  int32_t repeat_last_n = 64;
  bool ignore_eos = false;
  bool json = false;
};

double per_second(size_t n, double ms) { return ms > 0 ? 1000.0 * static_cast<double>(n) / ms : 0.0; }

int run_generate(const GenerateArgs& a) {
  auto lm = load_model(a.load);
  if (!lm.ok()) return report_error(lm.status());
  const std::vector<int32_t> prompt =
      lm->tokenizer->encode(a.prompt, /*add_special=*/true, /*parse_special=*/true);
  GenerationOptions opt;
  opt.n_predict = a.n_predict;
  opt.ignore_eos = a.ignore_eos;
  opt.sampling.temperature = a.temp;
  opt.sampling.seed = a.seed;
  opt.sampling.top_k = a.top_k;
  opt.sampling.top_p = a.top_p;
  opt.sampling.min_p = a.min_p;
  opt.sampling.repetition_penalty = a.repeat_penalty;
  opt.sampling.penalty_last_n = a.repeat_last_n;
  Generator gen(*lm->model, *lm->tokenizer, *lm->cache, *lm->pool);
  if (!a.json) {
    // Echo the prompt the way llama.cpp does, then stream the continuation.
    std::fputs(a.prompt.c_str(), stdout);
    std::fflush(stdout);
  }
  auto on_text = [&](std::string_view piece) {
    if (a.json) return;
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };
  auto result = gen.generate(prompt, opt, on_text);
  if (!result.ok()) return report_error(result.status());
  if (!a.json) {
    std::fputs("\n", stdout);
    std::fprintf(stderr, "\nprompt: %zu tokens, %.1f tok/s; generated: %zu tokens, %.1f tok/s\n",
                 prompt.size(), per_second(prompt.size(), result->prompt_ms), result->ids.size(),
                 per_second(result->ids.size(), result->gen_ms));
    return 0;
  }
  nlohmann::json j;
  j["prompt_ids"] = prompt;
  j["ids"] = result->ids;
  j["text"] = result->text;
  j["finish_reason"] = result->finish_reason;
  j["timings"] = {{"prompt_ms", result->prompt_ms},
                  {"gen_ms", result->gen_ms},
                  {"prompt_tok_s", per_second(prompt.size(), result->prompt_ms)},
                  {"gen_tok_s", per_second(result->ids.size(), result->gen_ms)}};
  std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace

void add_model_options(CLI::App& cmd, LoadOptions& load) {
  cmd.add_option("-m,--model", load.path, "GGUF model file")->required();
  cmd.add_option("-t,--threads", load.n_threads, "CPU threads (0 = all)")->check(CLI::Range(0, 1024));
  cmd.add_option("-c,--ctx-size", load.n_ctx, "context size in tokens (0 = model's, max 4096)")
      ->check(CLI::Range(0, 1 << 20));
  add_device_options(cmd, &load.device, &load.gpu_layers);
}

void register_generate(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate text from a prompt");
  add_model_options(*cmd, args->load);
  cmd->add_option("-p,--prompt", args->prompt, "prompt text (empty: start from BOS)");
  cmd->add_option("-n,--n-predict", args->n_predict, "tokens to generate (-1 = until EOS)");
  cmd->add_option("--temp", args->temp, "temperature (0 = greedy)")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--seed", args->seed, "random seed (same seed, same output)");
  cmd->add_option("--top-k", args->top_k, "top-k (0 = off)")->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--top-p", args->top_p, "top-p (1 = off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--min-p", args->min_p, "min-p (0 = off)")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--repeat-penalty", args->repeat_penalty, "repetition penalty (1 = off)");
  cmd->add_option("--repeat-last-n", args->repeat_last_n, "tokens the penalty looks back at");
  cmd->add_flag("--ignore-eos", args->ignore_eos, "do not stop at end-of-generation tokens");
  cmd->add_flag("--json", args->json, "print one JSON object with ids, text and timings");
  cmd->callback([args, exit_code] { *exit_code = run_generate(*args); });
}

}  // namespace impetus::app
