// `impetus perplexity`: perplexity of a model on a text file, computed as
// llama.cpp's llama-perplexity does by default (see engine/perplexity.h).
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/commands.h"
#include "app/loaded_model.h"
#include "engine/perplexity.h"

namespace impetus::app {
namespace {

struct PerplexityArgs {
  LoadOptions load;
  std::string file;
  int32_t n_ctx = 512;
  int32_t n_batch = 512;
  bool json = false;
};

int run_perplexity(PerplexityArgs a) {
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return report_error(not_found("cannot read '" + a.file + "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  a.load.n_ctx = a.n_ctx;
  auto lm = load_model(a.load);
  if (!lm.ok()) return report_error(lm.status());
  const auto& tok = *lm->tokenizer;
  const auto tokens = tok.encode(ss.str(), /*add_special=*/true, /*parse_special=*/false);
  const int32_t bos = tok.add_bos() ? tok.bos_id() : -1;
  auto r = compute_perplexity(*lm->model, *lm->cache, tokens, a.n_ctx, bos, a.n_batch);
  if (!r.ok()) return report_error(r.status());
  if (a.json) {
    nlohmann::json j{{"ppl", r->ppl}, {"n_chunks", r->n_chunks}, {"n_ctx", a.n_ctx},
                     {"n_tokens", tokens.size()}};
    std::puts(j.dump().c_str());
    return 0;
  }
  for (size_t i = 0; i < r->chunk_ppl.size(); ++i) std::printf("[%zu]%.4f,", i + 1, r->chunk_ppl[i]);
  std::printf("\nFinal estimate: PPL = %.4f over %d chunks of %d tokens\n", r->ppl, r->n_chunks,
              a.n_ctx);
  return 0;
}

}  // namespace

void register_perplexity(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<PerplexityArgs>();
  auto* cmd = app.add_subcommand("perplexity", "Perplexity of a model on a text file");
  cmd->add_option("-m,--model", args->load.path, "GGUF model file")->required();
  cmd->add_option("-f,--file", args->file, "text file")->required();
  cmd->add_option("-c,--ctx-size", args->n_ctx, "tokens per chunk")->check(CLI::Range(4, 1 << 20));
  cmd->add_option("-b,--batch-size", args->n_batch, "tokens per forward call")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("-t,--threads", args->load.n_threads, "CPU threads (0 = all)");
  cmd->add_flag("--json", args->json, "print {\"ppl\": .., \"n_chunks\": ..}");
  cmd->callback([args, exit_code] { *exit_code = run_perplexity(*args); });
}

}  // namespace impetus::app
