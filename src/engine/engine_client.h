// EngineClient: the one thread-safe door into an engine. The server (and
// anything else outside the engine) submits requests and receives their
// events through it; it never sees the model, a tensor or the KV cache.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine_stats.h"
#include "engine/request.h"
#include "tokenizer/tokenizer.h"

namespace impetus {

// The prefix cache of one engine, for the cache API.
struct CacheConversation {
  std::string conversation_id;
  int64_t tokens = 0;
  uint64_t memory_bytes = 0;
  double age_s = 0.0;
};

struct CacheStatus {
  bool enabled = true;
  int32_t block_size = 0;
  int32_t blocks_total = 0;      // within the memory budget
  int32_t blocks_used = 0;       // referenced by running sequences or pins
  int32_t blocks_cached = 0;     // findable by content (used or evictable)
  uint64_t memory_used_bytes = 0;
  uint64_t memory_max_bytes = 0;
  uint64_t lookups_hit = 0, lookups_missed = 0;
  uint64_t prompt_tokens_computed = 0, prompt_tokens_reused = 0;
  std::vector<CacheConversation> conversations;
};

struct CacheSettings {
  bool enabled = true;                 // automatic prefix caching on/off
  uint64_t memory_budget_bytes = 0;    // KV memory usable (<= what was allocated at load)
  int32_t max_pinned_conversations = 64;
};

struct EngineInfo {
  std::string model_id;     // the name clients use
  std::string model_path;
  std::string architecture;
  int32_t n_ctx = 0;        // tokens per sequence (prompt + completion)
  int32_t n_vocab = 0;
  uint64_t weight_bytes = 0;
  uint64_t kv_cache_bytes = 0;
  std::string backend;      // "cpu (avx512)", ...
};

class EngineClient {
 public:
  virtual ~EngineClient() = default;

  // Queues a request. Invalid requests (bad sampling parameters, a prompt
  // longer than the context, ...) are refused here with a Status; accepted
  // ones answer only through `sink`, always ending with a done() event.
  virtual StatusOr<RequestId> submit(GenerationRequest request, EventSink sink) = 0;
  // Stops a request as soon as possible: its last event has finish kCancelled
  // and its KV blocks are freed. Unknown or finished ids are ignored.
  virtual void cancel(RequestId id) = 0;

  virtual const Tokenizer& tokenizer() const = 0;
  virtual EngineInfo info() const = 0;
  virtual EngineStats stats() const = 0;

  virtual CacheStatus cache_status() const = 0;
  // Drops cached blocks and pins: all, or only one conversation's pin.
  virtual void clear_cache(const std::string& conversation_id = "") = 0;
  virtual CacheSettings cache_settings() const = 0;
  // Validates and applies; INVALID_ARGUMENT naming the bad field.
  virtual Status set_cache_settings(const CacheSettings& settings) = 0;
};

}  // namespace impetus
