// Load generator: many concurrent clients of one engine, measured the way a
// serving benchmark measures them (aggregate generated tokens/s, time to
// first token, time per output token), plus the multi-turn chat pattern that
// exercises the prefix cache. It talks to the engine only through
// EngineClient, like the HTTP server does, so what it measures is what the
// server's clients get minus HTTP. `impetus bench --concurrency` prints it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "engine/engine_client.h"

namespace impetus {

struct LoadOptions {
  int32_t concurrency = 1;          // clients sending at once
  int32_t requests_per_client = 1;  // each client sends its requests one after the other
  int32_t prompt_len = 256;         // prompt tokens (BOS included)
  int32_t min_prompt_len = 0;       // > 0: each prompt's length is uniform in [min, prompt_len]
  int32_t gen_len = 128;            // generated tokens per request (end-of-text ignored)
  int32_t shared_prefix = 0;        // leading prompt tokens common to every request (a system prompt)
  uint64_t seed = 1;                // random prompts: distinct after the shared prefix
};

// Percentiles of per-request figures, in milliseconds.
struct LatencySummary {
  double mean_ms = 0, p50_ms = 0, p99_ms = 0, max_ms = 0;
};

struct LoadResult {
  LoadOptions options;
  int32_t n_requests = 0;
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double wall_s = 0;                // first submit to last completion
  double generated_tok_s = 0;       // aggregate: generated_tokens / wall_s
  LatencySummary ttft;              // submit -> first event
  LatencySummary tpot;              // (last event - first event) / (tokens - 1), per request
  uint64_t prompt_tokens_computed = 0;  // engine counters over the run
  uint64_t prompt_tokens_reused = 0;
  uint64_t preemptions = 0;
  int32_t kv_blocks_used_after = 0; // referenced blocks once every client has left
};

// Runs one load level; the engine should be otherwise idle.
StatusOr<LoadResult> run_load(EngineClient& engine, const LoadOptions& options);

struct MultiTurnOptions {
  int32_t turns = 10;
  int32_t system_len = 200;  // tokens of the first message (a system prompt)
  int32_t user_len = 48;     // tokens each turn adds
  int32_t reply_len = 48;    // tokens each turn generates
  uint64_t seed = 7;
  std::string conversation_id;  // "" = rely on automatic prefix caching alone
  bool resend_text = false;     // re-send each reply as text (re-tokenized) instead of its token ids
};

struct TurnResult {
  int32_t prompt_tokens = 0;
  int32_t new_tokens = 0;          // tokens not sent in the previous turn's prompt or reply
  uint64_t computed_tokens = 0;    // prompt tokens the engine actually ran (counter delta)
  int32_t cached_tokens = 0;       // as reported to the client
  double ttft_ms = 0;
};

// One chat where each turn re-sends the whole history (previous prompt + the
// reply's text re-tokenized + a new user message), as chat clients do.
StatusOr<std::vector<TurnResult>> run_multi_turn(EngineClient& engine, const MultiTurnOptions& options);

LatencySummary summarize_latencies(std::vector<double> ms);

// One greedy request (end of text ignored), submitted and waited for.
struct RequestTiming {
  double ttft_ms = 0;   // submit -> first event
  double total_ms = 0;  // submit -> last event
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;
  std::string text;
  std::vector<int32_t> output_tokens;  // the generated ids
};
// CANCELLED when the engine cancels it (e.g. shutting down).
StatusOr<RequestTiming> run_timed_request(EngineClient& engine, std::vector<int32_t> prompt,
                                          int32_t max_tokens, const std::string& conversation_id = "");

}  // namespace impetus
