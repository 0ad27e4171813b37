#include "server/metrics/fake_engine.h"

#include "model/formats/gguf_reader.h"
#include "testing/paths.h"
#include "tokenizer/tokenizer.h"

namespace impetus::testing {

const Tokenizer* FakeEngine::shared_tokenizer() {
  static const std::unique_ptr<Tokenizer> tok = []() -> std::unique_ptr<Tokenizer> {
    auto gguf = GgufFile::open(shared_testdata("models/stories260K/stories260K.gguf"));
    if (!gguf.ok()) return nullptr;
    auto t = Tokenizer::from_gguf(**gguf);
    return t.ok() ? std::move(*t) : nullptr;
  }();
  return tok.get();
}

FakeEngine::FakeEngine() : worker_([this] { run(); }) {}

FakeEngine::~FakeEngine() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void FakeEngine::set_stats(const EngineStats& s) {
  std::lock_guard lock(mu_);
  stats_ = s;
}

void FakeEngine::set_cache_status(const CacheStatus& c) {
  std::lock_guard lock(mu_);
  cache_ = c;
}

int FakeEngine::n_submitted() const {
  std::lock_guard lock(mu_);
  return n_submitted_;
}

EngineInfo FakeEngine::info() const {
  EngineInfo info;
  info.model_id = "fake";
  info.architecture = "llama";
  info.n_ctx = 512;
  info.n_vocab = shared_tokenizer() != nullptr ? shared_tokenizer()->n_vocab() : 0;
  info.backend = "fake";
  return info;
}

EngineStats FakeEngine::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

CacheStatus FakeEngine::cache_status() const {
  std::lock_guard lock(mu_);
  return cache_;
}

StatusOr<RequestId> FakeEngine::submit(GenerationRequest request, EventSink sink) {
  std::lock_guard lock(mu_);
  ++n_submitted_;
  const RequestId id = next_id_++;
  const int n = request.max_tokens > 0 ? request.max_tokens : 4;
  const auto n_prompt = static_cast<int32_t>(request.prompt.size());
  jobs_.push_back([sink = std::move(sink), n, n_prompt]() mutable {
    for (int i = 0; i < n; ++i) {
      GenerationEvent ev;
      ev.text = "a";
      if (i + 1 == n) {
        ev.finish = FinishReason::kLength;
        ev.prompt_tokens = n_prompt;
        ev.completion_tokens = n;
      }
      sink(std::move(ev));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  cv_.notify_all();
  return id;
}

void FakeEngine::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

ServedModel fake_model(const std::string& id, FakeEngine& engine) {
  ServedModel m;
  m.id = id;
  m.engine = std::shared_ptr<EngineClient>(&engine, [](EngineClient*) {});  // not owned
  m.chat_template_source = "none";
  m.created = 1700000000;
  return m;
}

}  // namespace impetus::testing
