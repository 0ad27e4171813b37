// Sequence: the engine's state for one running request: its tokens (prompt
// then generated), how many of them have keys/values in the KV cache, its
// blocks, and the per-request sampler, detokenizer and stop matcher.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/block_pool.h"
#include "engine/request.h"
#include "engine/stop_matcher.h"
#include "sampling/sampler.h"
#include "tokenizer/stream_detokenizer.h"

namespace impetus {

struct Sequence {
  Sequence(RequestId id, GenerationRequest request, EventSink sink, const Tokenizer& tokenizer,
           BlockPool& pool, int32_t block_size, Sampler sampler);

  RequestId id;
  GenerationRequest request;
  EventSink sink;
  std::vector<int32_t> tokens;   // prompt followed by generated tokens
  int32_t n_prompt = 0;
  int32_t n_computed = 0;        // leading tokens whose K/V are in the cache
  int32_t n_cached_prompt = 0;   // prompt tokens reused from the prefix cache
  BlockTable blocks;
  Sampler sampler;
  StreamDetokenizer detok;
  StopMatcher stop;
  std::vector<TokenLogprobs> pending_logprobs;  // not yet sent with text
  uint64_t arrival = 0;          // admission order (for fairness and preemption)
  int32_t n_preemptions = 0;
  int32_t n_hashed = 0;          // leading blocks registered in (or found in) the prefix cache
  uint64_t chain_hash = 0;       // hash of those blocks (0: none)

  int32_t n_generated() const { return static_cast<int32_t>(tokens.size()) - n_prompt; }
  // Tokens still to run through the model before the next sample.
  int32_t n_pending() const { return static_cast<int32_t>(tokens.size()) - n_computed; }
};

}  // namespace impetus
