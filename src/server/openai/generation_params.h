// The request parameters shared by /v1/chat/completions and /v1/completions,
// parsed and validated into engine terms (SamplingParams, limits, stops).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sampling/sampling_params.h"
#include "server/openai/json_fields.h"

namespace impetus {

struct GenerationParams {
  std::string model;               // requested model id
  SamplingParams sampling;         // temperature, top_p, penalties, seed, logit_bias, top_k, min_p
  std::optional<int32_t> max_tokens;  // unset: until the context is full
  int32_t n = 1;                   // choices
  std::vector<std::string> stop;   // stop strings
  bool stream = false;
  bool include_usage = false;      // stream_options.include_usage
  int32_t logprobs = -1;           // -1: none; k >= 0: chosen token and top k
  std::string user;                // end-user id (recorded, not used for generation)
  std::string conversation_id;     // pin the conversation's KV blocks (chat extension)
};

// Reads the shared fields; the caller reads its own and calls check_unknown().
// max_tokens_keys: names accepted for the token limit, first wins
// ("max_completion_tokens", "max_tokens" for chat).
void read_generation_params(JsonFields& f, std::initializer_list<const char*> max_tokens_keys,
                            GenerationParams* p);

}  // namespace impetus
