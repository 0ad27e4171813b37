// ChatCompletionRequest: a validated POST /v1/chat/completions body. The
// messages are normalised for the chat template: content parts joined into
// one string, "developer" read as "system", tool calls and tool results kept.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/openai/generation_params.h"

namespace impetus {

struct ChatCompletionRequest {
  GenerationParams gen;
  nlohmann::json messages = nlohmann::json::array();  // template-ready messages
  bool logprobs = false;        // chat "logprobs": return the chosen tokens' log-probabilities
  int32_t top_logprobs = 0;     // alternatives per token (0..20), needs logprobs
  std::string conversation_id;  // extension: keep this conversation's KV blocks pinned
};

StatusOr<ChatCompletionRequest> parse_chat_request(const nlohmann::json& body, ApiError* error);

}  // namespace impetus
