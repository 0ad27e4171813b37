// Counters of an engine, for the metrics endpoint and the cache API.
// Monotonic unless noted; read as a snapshot.
#pragma once

#include <cstdint>

namespace impetus {

struct EngineStats {
  uint64_t requests_total = 0;            // accepted requests
  uint64_t requests_running = 0;          // now (gauge)
  uint64_t requests_waiting = 0;          // now (gauge)
  uint64_t prompt_tokens_computed = 0;    // prompt tokens run through the model
  uint64_t prompt_tokens_reused = 0;      // prompt tokens whose K/V came from the prefix cache
  uint64_t generated_tokens = 0;
  uint64_t preemptions = 0;
  uint64_t steps = 0;                     // forward steps run
  uint64_t kv_blocks_total = 0;           // gauge
  uint64_t kv_blocks_used = 0;            // gauge
};

}  // namespace impetus
