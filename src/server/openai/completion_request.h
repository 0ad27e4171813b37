// CompletionRequest: a validated POST /v1/completions body (the legacy
// text-completion API): a prompt string (or one-element list, or token ids).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/openai/generation_params.h"

namespace impetus {

struct CompletionRequest {
  GenerationParams gen;
  std::string prompt;                 // text prompt (when prompt_ids is empty)
  std::vector<int32_t> prompt_ids;    // token prompt
  bool echo = false;                  // prepend the prompt to the completion text
};

StatusOr<CompletionRequest> parse_completion_request(const nlohmann::json& body, ApiError* error);

}  // namespace impetus
