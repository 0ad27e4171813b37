// Turns chat messages into prompt tokens for a served model: its chat
// template renders them (with the generation prompt appended), the tokenizer
// reads special-token texts as special tokens, and BOS is added once when
// the model wants it and the template did not write it.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/model_registry.h"

namespace impetus {

StatusOr<std::string> render_chat(const ServedModel& model, const nlohmann::json& messages);
StatusOr<std::vector<int32_t>> chat_prompt_tokens(const ServedModel& model,
                                                 const nlohmann::json& messages);
// A text prompt (completions API): BOS as the model's metadata says, special texts parsed.
std::vector<int32_t> text_prompt_tokens(const ServedModel& model, const std::string& text);

}  // namespace impetus
