#include "engine/engine.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"

namespace impetus {

Engine::Engine(Model& model, const Tokenizer& tokenizer, const EngineOptions& options)
    : model_(model), tokenizer_(tokenizer), options_(options) {}

StatusOr<std::unique_ptr<Engine>> Engine::create(Model& model, const Tokenizer& tokenizer,
                                                 const EngineOptions& options) {
  std::unique_ptr<Engine> e(new Engine(model, tokenizer, options));
  auto& o = e->options_;
  const auto& cfg = model.config();
  if (o.block_size <= 0 || o.block_size > 1024) return invalid_argument("block size out of range");
  if (o.scheduler.max_context <= 0) o.scheduler.max_context = std::min(cfg.n_ctx_train, 4096);
  if (o.scheduler.max_batch_tokens <= 0 || o.scheduler.max_running <= 0) {
    return invalid_argument("batch limits must be positive");
  }
  const size_t per_block = KvCache::bytes_per_block(cfg, o.block_size, o.kv_type);
  const int64_t blocks_per_ctx = (o.scheduler.max_context + o.block_size - 1) / o.block_size;
  int64_t budget = o.kv_cache_bytes;
  if (budget <= 0) {
    budget = std::min<int64_t>(int64_t{1} << 30, blocks_per_ctx * o.scheduler.max_running *
                                                    static_cast<int64_t>(per_block));
  }
  const int64_t n_blocks = std::max<int64_t>(budget / static_cast<int64_t>(per_block), blocks_per_ctx + 1);
  if (n_blocks > (int64_t{1} << 30)) return invalid_argument("KV cache too large");
  IMP_ASSIGN_OR_RETURN(e->cache_,
                       KvCache::create(model, static_cast<int32_t>(n_blocks), o.block_size, o.kv_type));
  e->pool_ = std::make_unique<BlockPool>(static_cast<int32_t>(n_blocks));
  e->pool_->set_caching(o.prefix_caching);
  e->scheduler_ = std::make_unique<Scheduler>(*e->pool_, o.block_size, o.scheduler);
  e->runner_ = std::make_unique<ModelRunner>(model, tokenizer, *e->cache_);
  e->info_ = {o.model_id,
              model.gguf().path(),
              cfg.arch,
              o.scheduler.max_context,
              cfg.n_vocab,
              model.weight_bytes(),
              e->cache_->n_bytes(),
              model.backend().name()};
  e->stats_.kv_blocks_total = static_cast<uint64_t>(n_blocks);
  if (o.start_thread) e->thread_ = std::thread([raw = e.get()] { raw->loop(); });
  return e;
}

Engine::~Engine() { shutdown(); }

void Engine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Whatever is left ends as cancelled, so every sink sees its last event.
  std::lock_guard<std::mutex> pool_lock(pool_mu_);
  take_incoming();
  for (RequestId id : scheduler_->ids()) {
    if (Sequence* s = scheduler_->find(id)) finish(*s, FinishReason::kCancelled);
  }
}

StatusOr<RequestId> Engine::submit(GenerationRequest request, EventSink sink) {
  const int32_t n_vocab = model_.config().n_vocab;
  if (request.prompt.empty()) return invalid_argument("the prompt is empty");
  for (int32_t t : request.prompt) {
    if (t < 0 || t >= n_vocab) return invalid_argument("prompt token id out of range");
  }
  const int32_t n_ctx = options_.scheduler.max_context;
  if (static_cast<int32_t>(request.prompt.size()) >= n_ctx) {
    return invalid_argument("the prompt has " + std::to_string(request.prompt.size()) +
                            " tokens; the context holds " + std::to_string(n_ctx) +
                            " (prompt + completion)");
  }
  if (request.max_tokens < -1) return invalid_argument("max_tokens must be >= 0");
  if (request.n_logprobs > 20) return invalid_argument("at most 20 top log-probabilities");
  IMP_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(request.sampling, n_vocab));
  if (request.count_prompt_in_penalties) {
    for (int32_t t : request.prompt) sampler.accept(t);
  }
  const RequestId id = next_id_.fetch_add(1);
  auto seq = std::make_unique<Sequence>(id, std::move(request), std::move(sink), tokenizer_, *pool_,
                                        options_.block_size, std::move(sampler));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return unavailable("the engine is shutting down");
    incoming_.push_back(std::move(seq));
  }
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    ++stats_.requests_total;
  }
  wake_.notify_one();
  return id;
}

void Engine::cancel(RequestId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.insert(id);
  }
  wake_.notify_one();
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(stats_mu_);
  return stats_;
}

void Engine::take_incoming() {
  std::vector<std::unique_ptr<Sequence>> fresh;
  std::unordered_set<RequestId> cancels;
  std::vector<std::function<void()>> posted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fresh.swap(incoming_);
    cancels.swap(cancelled_);
    posted.swap(posted_);
  }
  for (auto& fn : posted) fn();
  for (auto& s : fresh) scheduler_->add(std::move(s));
  for (RequestId id : cancels) {
    if (Sequence* s = scheduler_->find(id)) finish(*s, FinishReason::kCancelled);
  }
}

void Engine::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  wake_.notify_all();
}

void Engine::set_max_batch_tokens(int32_t n) {
  post([this, n] { scheduler_->set_max_batch_tokens(n); });
}

void Engine::loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] {
        return stopping_ || !incoming_.empty() || !cancelled_.empty() || !posted_.empty() ||
               !scheduler_->idle();
      });
      if (stopping_) return;
    }
    step();
  }
}

bool Engine::step() {
  StepPlan plan;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    take_incoming();
    plan = scheduler_->schedule();
    for (auto& f : scheduler_->take_failed()) {
      // Not in the scheduler any more: report directly.
      GenerationEvent ev;
      ev.finish = FinishReason::kError;
      ev.error = resource_exhausted("the request does not fit in the KV cache");
      ev.prompt_tokens = f->n_prompt;
      f->sink(std::move(ev));
    }
  }
  if (plan.empty()) return false;
  auto result = runner_->execute(plan);
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (!result.ok()) {
    IMP_LOG(kError, "forward step failed: ", result.status().to_string());
    for (auto& p : plan.seqs) finish(*p.seq, FinishReason::kError, result.status());
    return true;
  }
  uint64_t prompt_computed = 0;
  for (auto& p : plan.seqs) {
    prompt_computed += static_cast<uint64_t>(std::max(0, std::min(p.first + p.count, p.seq->n_prompt) - p.first));
    p.seq->n_computed = p.first + p.count;
    scheduler_->commit_blocks(*p.seq);
  }
  {
    std::lock_guard<std::mutex> slock(stats_mu_);
    stats_.prompt_tokens_computed += prompt_computed;
    stats_.generated_tokens += result->sampled.size();
    stats_.steps += 1;
  }
  update(*result);
  {
    std::lock_guard<std::mutex> slock(stats_mu_);
    stats_.requests_running = scheduler_->n_running();
    stats_.requests_waiting = scheduler_->n_waiting();
    stats_.preemptions = scheduler_->n_preemptions();
    stats_.prompt_tokens_reused = scheduler_->n_reused_tokens();
    stats_.kv_blocks_used = static_cast<uint64_t>(pool_->n_used());
  }
  return true;
}

CacheStatus Engine::cache_status() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  const size_t per_block = KvCache::bytes_per_block(model_.config(), options_.block_size, options_.kv_type);
  CacheStatus st;
  st.enabled = pool_->caching();
  st.block_size = options_.block_size;
  st.blocks_total = pool_->limit();
  st.blocks_used = pool_->n_used();
  st.blocks_cached = pool_->n_cached();
  st.memory_used_bytes = static_cast<uint64_t>(pool_->n_used()) * per_block;
  st.memory_max_bytes = static_cast<uint64_t>(pool_->limit()) * per_block;
  st.lookups_hit = pool_->n_hits();
  st.lookups_missed = pool_->n_misses();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  for (const PinInfo& p : pool_->pins()) {
    st.conversations.push_back({p.key, p.n_tokens, static_cast<uint64_t>(p.n_blocks) * per_block,
                                static_cast<double>(now_ms - p.pinned_at_ms) / 1000.0});
  }
  const EngineStats es = stats();
  st.prompt_tokens_computed = es.prompt_tokens_computed;
  st.prompt_tokens_reused = es.prompt_tokens_reused;
  return st;
}

void Engine::clear_cache(const std::string& conversation_id) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (!conversation_id.empty()) {
    pool_->unpin(conversation_id);
    return;
  }
  pool_->unpin_all();
  pool_->clear_cache();
}

CacheSettings Engine::cache_settings() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  const size_t per_block = KvCache::bytes_per_block(model_.config(), options_.block_size, options_.kv_type);
  return {pool_->caching(), static_cast<uint64_t>(pool_->limit()) * per_block, pool_->max_pins()};
}

Status Engine::set_cache_settings(const CacheSettings& s) {
  const size_t per_block = KvCache::bytes_per_block(model_.config(), options_.block_size, options_.kv_type);
  const uint64_t max_bytes = static_cast<uint64_t>(pool_->n_blocks()) * per_block;
  const int64_t min_blocks = (options_.scheduler.max_context + options_.block_size - 1) / options_.block_size + 1;
  const uint64_t min_bytes = static_cast<uint64_t>(min_blocks) * per_block;
  if (s.memory_budget_bytes < min_bytes || s.memory_budget_bytes > max_bytes) {
    return invalid_argument("memory_budget must be between " + std::to_string(min_bytes) + " and " +
                            std::to_string(max_bytes) + " bytes (one full context up to the KV memory allocated at load)");
  }
  if (s.max_pinned_conversations < 0 || s.max_pinned_conversations > 100000) {
    return invalid_argument("max_pinned_conversations must be between 0 and 100000");
  }
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_->set_caching(s.enabled);
  pool_->set_limit(static_cast<int32_t>(s.memory_budget_bytes / per_block));
  pool_->set_max_pins(s.max_pinned_conversations);
  return ok_status();
}

void Engine::run_until_idle() {
  while (step() || !scheduler_->idle()) {
  }
}

void Engine::emit_text(Sequence& s, const std::string& text, bool force) {
  if (text.empty() && !force) return;
  GenerationEvent ev;
  ev.text = text;
  ev.logprobs.swap(s.pending_logprobs);
  s.sink(std::move(ev));
}

void Engine::update(const StepResult& result) {
  for (const SampledToken& st : result.sampled) {
    Sequence& s = *st.seq;
    s.sampler.accept(st.token);
    if (!s.request.ignore_eos && tokenizer_.is_eog(st.token)) {
      finish(s, FinishReason::kStop);
      continue;
    }
    s.tokens.push_back(st.token);
    if (s.request.n_logprobs >= 0) s.pending_logprobs.push_back(st.logprobs);
    std::string out = s.stop.push(s.detok.push(st.token));
    if (s.stop.stopped()) {
      emit_text(s, out, false);
      finish(s, FinishReason::kStop);
      continue;
    }
    emit_text(s, out, false);
    const bool at_max = s.request.max_tokens >= 0 && s.n_generated() >= s.request.max_tokens;
    const bool ctx_full = static_cast<int32_t>(s.tokens.size()) >= options_.scheduler.max_context;
    if (at_max || ctx_full) finish(s, FinishReason::kLength);
  }
}

void Engine::finish(Sequence& s, FinishReason reason, Status error) {
  GenerationEvent ev;
  if (reason != FinishReason::kError) {
    ev.text = s.stop.stopped() ? "" : s.stop.push(s.detok.flush());
    if (!s.stop.stopped()) ev.text += s.stop.flush();
  }
  ev.logprobs.swap(s.pending_logprobs);
  ev.finish = reason;
  ev.error = std::move(error);
  ev.prompt_tokens = s.n_prompt;
  ev.completion_tokens = s.n_generated();
  ev.cached_prompt_tokens = s.n_cached_prompt;
  if (static_cast<int32_t>(s.tokens.size()) > s.n_prompt) ev.output_tokens.assign(s.tokens.begin() + s.n_prompt, s.tokens.end());
  if (!s.request.conversation_id.empty() &&
      (reason == FinishReason::kStop || reason == FinishReason::kLength)) {
    // Keep the conversation's full blocks (prompt and answer) for its next turn.
    std::vector<int32_t> blocks(s.blocks.blocks().begin(),
                                s.blocks.blocks().begin() + std::min<size_t>(static_cast<size_t>(s.n_hashed),
                                                                             s.blocks.blocks().size()));
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
    pool_->pin(s.request.conversation_id, blocks,
               static_cast<int64_t>(s.n_hashed) * options_.block_size, now_ms);
  }
  EventSink sink = std::move(s.sink);
  scheduler_->remove(s.id);  // frees the blocks; `s` is gone from here on
  sink(std::move(ev));
}

}  // namespace impetus
