// JSON shapes of the OpenAI API responses: chat.completion and
// chat.completion.chunk objects, text_completion objects (also used for
// streaming), log-probabilities in both APIs' formats, usage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.h"

namespace impetus {

enum class ApiKind { kChat, kCompletion };

// What every response object of one request shares.
struct ResponseHeader {
  ApiKind kind = ApiKind::kChat;
  std::string id;          // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;     // unix seconds
  std::string model;
  std::string fingerprint; // system_fingerprint
};

struct ChoiceResult {
  std::string text;
  std::vector<TokenLogprobs> logprobs;
  bool want_logprobs = false;
  FinishReason finish = FinishReason::kNone;
  int32_t completion_tokens = 0;
};

struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;
};

std::string new_response_id(ApiKind kind);
nlohmann::json usage_json(const Usage& u);
// "stop" / "length" (cancelled and error never reach a client body).
nlohmann::json finish_json(FinishReason r);

// A whole (non-streaming) response.
nlohmann::json full_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                             const Usage& usage);
// One streaming chunk for a choice: the role (chat, first chunk), text, logprobs, finish.
nlohmann::json stream_chunk(const ResponseHeader& h, int index, bool role, const std::string& text,
                            const std::vector<TokenLogprobs>* logprobs, FinishReason finish,
                            size_t text_offset);
// The last chunk when stream_options.include_usage is set (choices empty).
nlohmann::json usage_chunk(const ResponseHeader& h, const Usage& usage);

// Serializes for the wire; invalid UTF-8 (a token that is half a character) becomes U+FFFD.
std::string to_wire(const nlohmann::json& j);

}  // namespace impetus
