// Engine: one model served to many clients. A dedicated thread runs the
// loop   plan = scheduler.schedule(); result = runner.execute(plan);
// update(plan, result)   continuous batching over a paged KV cache; clients
// talk to it only through the EngineClient interface (thread-safe).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "engine/block_pool.h"
#include "engine/engine_client.h"
#include "engine/model_runner.h"
#include "engine/scheduler.h"
#include "model/kv_cache.h"
#include "model/model.h"

namespace impetus {

struct EngineOptions {
  std::string model_id;              // name reported in EngineInfo
  SchedulerOptions scheduler;        // batching limits and the per-sequence context
  int32_t block_size = 16;           // tokens per KV block
  int64_t kv_cache_bytes = 0;        // KV memory budget; 0 = enough for max_running full contexts, capped at 1 GiB
  DType kv_type = DType::kF16;       // F16 or F32
  bool start_thread = true;          // false: drive it with step() (tests)
  bool prefix_caching = true;        // reuse the K/V of prompts' shared prefixes
};

class Engine final : public EngineClient {
 public:
  // The model and tokenizer must outlive the engine.
  static StatusOr<std::unique_ptr<Engine>> create(Model& model, const Tokenizer& tokenizer,
                                                  const EngineOptions& options);
  ~Engine() override;

  StatusOr<RequestId> submit(GenerationRequest request, EventSink sink) override;
  void cancel(RequestId id) override;
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  EngineInfo info() const override { return info_; }
  EngineStats stats() const override;
  CacheStatus cache_status() const override;
  void clear_cache(const std::string& conversation_id = "") override;
  CacheSettings cache_settings() const override;
  Status set_cache_settings(const CacheSettings& settings) override;

  // One loop iteration (schedule, execute, update); false when there was nothing to do.
  bool step();
  // Runs steps until no request is left (for tests with start_thread = false).
  void run_until_idle();
  // Stops the loop thread; pending requests end with kCancelled.
  void shutdown();

  // Runs fn on the thread that runs the forward passes, before the next step
  // (at once when idle): where the backend may be reconfigured, e.g. its
  // thread count (a performance-mode change).
  void post(std::function<void()> fn);
  // Tokens per forward step from the next step on (posted).
  void set_max_batch_tokens(int32_t n);

 private:
  Engine(Model& model, const Tokenizer& tokenizer, const EngineOptions& options);
  void loop();
  void take_incoming();
  void update(const StepResult& result);
  void finish(Sequence& s, FinishReason reason, Status error = {});
  void emit_text(Sequence& s, const std::string& text, bool force);

  Model& model_;
  const Tokenizer& tokenizer_;
  EngineOptions options_;
  EngineInfo info_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<BlockPool> pool_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<ModelRunner> runner_;

  // Guards the block pool and scheduler against the cache API (held by the
  // loop while scheduling and updating, not while the model runs).
  mutable std::mutex pool_mu_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::unique_ptr<Sequence>> incoming_;  // guarded by mu_
  std::unordered_set<RequestId> cancelled_;          // guarded by mu_
  std::vector<std::function<void()>> posted_;        // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::atomic<RequestId> next_id_{1};
  std::thread thread_;

  mutable std::mutex stats_mu_;
  EngineStats stats_;  // guarded by stats_mu_
};

}  // namespace impetus
