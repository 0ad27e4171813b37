#include "server/chat_prompt.h"

namespace impetus {
namespace {

std::string token_text_or_empty(const Tokenizer& tok, int32_t id) {
  return id >= 0 && id < tok.n_vocab() ? tok.token_text(id) : std::string();
}

}  // namespace

StatusOr<std::string> render_chat(const ServedModel& model, const nlohmann::json& messages) {
  const Tokenizer& tok = model.engine->tokenizer();
  auto text = apply_chat_template(*model.chat_template, messages, nullptr,
                                  /*add_generation_prompt=*/true,
                                  token_text_or_empty(tok, tok.bos_id()),
                                  token_text_or_empty(tok, tok.eos_id()));
  if (!text.ok()) return text.status().with_context("the chat template failed");
  return text;
}

StatusOr<std::vector<int32_t>> chat_prompt_tokens(const ServedModel& model,
                                                 const nlohmann::json& messages) {
  IMP_ASSIGN_OR_RETURN(std::string text, render_chat(model, messages));
  const Tokenizer& tok = model.engine->tokenizer();
  std::vector<int32_t> ids = tok.encode(text, /*add_special=*/false, /*parse_special=*/true);
  if (tok.add_bos() && tok.bos_id() >= 0 && (ids.empty() || ids.front() != tok.bos_id())) {
    ids.insert(ids.begin(), tok.bos_id());
  }
  return ids;
}

std::vector<int32_t> text_prompt_tokens(const ServedModel& model, const std::string& text) {
  return model.engine->tokenizer().encode(text, /*add_special=*/true, /*parse_special=*/true);
}

}  // namespace impetus
