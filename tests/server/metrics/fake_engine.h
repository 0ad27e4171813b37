// A fake EngineClient for the server's observability tests: stats and cache
// status the test sets (so /metrics and metrics_update can be checked
// against known numbers), and generations that answer on a worker thread
// with `max_tokens` (default 4) one-token events of text "a", then done.
// The tokenizer is stories260K's (read from the shared test data).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/engine_client.h"
#include "server/model_registry.h"

namespace impetus::testing {

class FakeEngine : public EngineClient {
 public:
  FakeEngine();
  ~FakeEngine() override;

  // The stories260K tokenizer; null (and the test should skip) when the file is absent.
  static const Tokenizer* shared_tokenizer();

  void set_stats(const EngineStats& s);
  void set_cache_status(const CacheStatus& c);
  int n_submitted() const;

  StatusOr<RequestId> submit(GenerationRequest request, EventSink sink) override;
  void cancel(RequestId id) override { (void)id; }
  const Tokenizer& tokenizer() const override { return *shared_tokenizer(); }
  EngineInfo info() const override;
  EngineStats stats() const override;
  CacheStatus cache_status() const override;
  void clear_cache(const std::string& conversation_id = "") override { (void)conversation_id; }
  CacheSettings cache_settings() const override { return {}; }
  Status set_cache_settings(const CacheSettings& settings) override {
    (void)settings;
    return ok_status();
  }

 private:
  void run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  EngineStats stats_;
  CacheStatus cache_;
  int n_submitted_ = 0;
  RequestId next_id_ = 1;
  std::thread worker_;
};

// A ServedModel for the fake (no chat template: use /v1/completions).
ServedModel fake_model(const std::string& id, FakeEngine& engine);

}  // namespace impetus::testing
