// EngineClient: the one thread-safe door into an engine. The server (and
// anything else outside the engine) submits requests and receives their
// events through it; it never sees the model, a tensor or the KV cache.
#pragma once

#include <cstdint>
#include <string>

#include "engine/engine_stats.h"
#include "engine/request.h"
#include "tokenizer/tokenizer.h"

namespace impetus {

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
};

}  // namespace impetus
