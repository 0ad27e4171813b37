// What a client asks the engine for, and what comes back. Plain data: the
// server builds a GenerationRequest from an API call; the engine answers
// with a stream of GenerationEvents through the request's sink.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "sampling/sampling_params.h"

namespace impetus {

using RequestId = uint64_t;

struct GenerationRequest {
  std::vector<int32_t> prompt;     // token ids, BOS included when wanted
  SamplingParams sampling;         // how each token is chosen
  int32_t max_tokens = -1;         // tokens to generate at most (-1: until the context is full)
  std::vector<std::string> stop;   // stop strings: output ends before the first one
  bool ignore_eos = false;         // keep generating past end-of-generation tokens
  int32_t n_logprobs = -1;         // -1: no log-probabilities; k >= 0: the chosen token's and top k
  bool count_prompt_in_penalties = true;  // prompt tokens feed the repetition penalties
  std::string conversation_id;     // non-empty: keep this conversation's KV blocks pinned afterwards
};

struct TokenAlternative {
  int32_t token = 0;
  std::string text;  // the token's bytes (may be part of a UTF-8 character)
  float logprob = 0.0f;
};

struct TokenLogprobs {
  TokenAlternative chosen;
  std::vector<TokenAlternative> top;  // most likely first
};

enum class FinishReason { kNone, kStop, kLength, kCancelled, kError };
const char* finish_reason_name(FinishReason r);  // "stop", "length", ...

struct GenerationEvent {
  std::string text;                    // newly released text (may be empty)
  std::vector<TokenLogprobs> logprobs; // one entry per token generated since the last event
  FinishReason finish = FinishReason::kNone;  // set on the last event of a request
  int32_t prompt_tokens = 0;           // set on the last event
  int32_t completion_tokens = 0;       // set on the last event
  int32_t cached_prompt_tokens = 0;    // prompt tokens whose KV came from the prefix cache
  std::vector<int32_t> output_tokens;  // set on the last event: every generated token id, in order
  Status error;                        // set when finish == kError
  bool done() const { return finish != FinishReason::kNone; }
};

// Receives a request's events, in order, on the engine's thread. It must not
// block; the last event has done() == true and nothing follows it.
using EventSink = std::function<void(GenerationEvent&&)>;

}  // namespace impetus
