// `impetus tokenize`: prints the token ids of a text.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "model/formats/gguf_reader.h"
#include "tokenizer/tokenizer.h"

namespace impetus::app {
namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  bool no_bos = false;
  bool no_parse_special = false;
  bool json = false;
  bool show_pieces = false;
};

int report(const Status& s) {
  std::fprintf(stderr, "impetus: error: %s\n", s.message().c_str());
  return 1;
}

int run_tokenize(const TokenizeArgs& a) {
  // Only the vocabulary is needed: vocab-only GGUF files work too.
  auto gguf = GgufFile::open(a.model);
  if (!gguf.ok()) return report(gguf.status());
  auto tok = Tokenizer::from_gguf(**gguf);
  if (!tok.ok()) return report(tok.status());
  const auto ids = (*tok)->encode(a.text, !a.no_bos, !a.no_parse_special);
  if (a.json) {
    nlohmann::json j;
    j["ids"] = ids;
    if (a.show_pieces) {
      auto pieces = nlohmann::json::array();
      for (int32_t id : ids) pieces.push_back((*tok)->token_to_piece(id, true));
      j["pieces"] = pieces;
    }
    std::puts(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (a.show_pieces) {
      std::printf("%6d -> '%s'\n", ids[i], (*tok)->token_to_piece(ids[i], true).c_str());
    } else {
      std::printf(i == 0 ? "%d" : " %d", ids[i]);
    }
  }
  if (!a.show_pieces) std::puts("");
  return 0;
}

}  // namespace

void register_tokenize(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<TokenizeArgs>();
  auto* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  cmd->add_option("-m,--model", args->model, "GGUF model (or vocab-only) file")->required();
  cmd->add_option("text", args->text, "text to tokenize")->required();
  cmd->add_flag("--no-bos", args->no_bos, "do not add BOS/EOS as the model's metadata says");
  cmd->add_flag("--no-parse-special", args->no_parse_special,
                "treat special-token texts such as <s> as plain text");
  cmd->add_flag("--pieces", args->show_pieces, "also show the text of each token");
  cmd->add_flag("--json", args->json, "print {\"ids\": [...]}");
  cmd->callback([args, exit_code] { *exit_code = run_tokenize(*args); });
}

}  // namespace impetus::app
