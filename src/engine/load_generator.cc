#include "engine/load_generator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

namespace impetus {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// One request's timeline, filled on the engine thread, read by its client.
struct Timeline {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool first_seen = false;
  Clock::time_point submitted, first, last;
  std::string text;
  std::vector<int32_t> output_tokens;
  int32_t prompt_tokens = 0, completion_tokens = 0, cached = 0;
  FinishReason finish = FinishReason::kNone;
  Status error;
};

EventSink sink_for(Timeline& t) {
  return [&t](GenerationEvent&& e) {
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(t.mu);
    if (!t.first_seen) t.first_seen = true, t.first = now;
    t.last = now;
    t.text += e.text;
    if (e.done()) {
      t.done = true;
      t.finish = e.finish;
      t.error = e.error;
      t.prompt_tokens = e.prompt_tokens;
      t.completion_tokens = e.completion_tokens;
      t.output_tokens = std::move(e.output_tokens);
      t.cached = e.cached_prompt_tokens;
      t.cv.notify_all();
    }
  };
}

// Submits and waits for the whole answer.
Status run_one(EngineClient& engine, std::vector<int32_t> prompt, int32_t max_tokens, Timeline& t,
               const std::string& conversation_id = "") {
  GenerationRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  r.sampling.temperature = 0.0f;
  r.conversation_id = conversation_id;
  t.submitted = Clock::now();
  auto id = engine.submit(std::move(r), sink_for(t));
  if (!id.ok()) return id.status();
  std::unique_lock<std::mutex> lock(t.mu);
  t.cv.wait(lock, [&] { return t.done; });
  if (t.finish == FinishReason::kError) return t.error;
  return Status();
}

std::vector<int32_t> random_tokens(std::mt19937_64& rng, const Tokenizer& tok, int32_t n) {
  // Skip the first ids: control and byte tokens sit there in most vocabularies.
  const int32_t lo = std::min(tok.n_vocab() - 1, 300);
  std::uniform_int_distribution<int32_t> d(lo, tok.n_vocab() - 1);
  std::vector<int32_t> out(static_cast<size_t>(std::max(0, n)));
  for (auto& t : out) t = d(rng);
  return out;
}

std::vector<int32_t> random_prompt(std::mt19937_64& rng, const Tokenizer& tok, int32_t n) {
  std::vector<int32_t> p;
  if (tok.bos_id() >= 0) p.push_back(tok.bos_id());
  auto rest = random_tokens(rng, tok, n - static_cast<int32_t>(p.size()));
  p.insert(p.end(), rest.begin(), rest.end());
  return p;
}

Status validate(const LoadOptions& o, const EngineInfo& info) {
  if (o.concurrency < 1 || o.concurrency > 4096) return invalid_argument("concurrency must be in [1, 4096]");
  if (o.requests_per_client < 1) return invalid_argument("requests per client must be >= 1");
  if (o.prompt_len < 1 || o.gen_len < 1) return invalid_argument("prompt and generation lengths must be >= 1");
  if (o.min_prompt_len > o.prompt_len) return invalid_argument("min prompt length exceeds the prompt length");
  if (o.shared_prefix < 0 || o.shared_prefix >= std::max(o.prompt_len, 1) ||
      (o.min_prompt_len > 0 && o.shared_prefix >= o.min_prompt_len)) {
    return invalid_argument("the shared prefix must be shorter than every prompt");
  }
  if (o.prompt_len + o.gen_len > info.n_ctx) {
    return invalid_argument("prompt + generation (" + std::to_string(o.prompt_len + o.gen_len) +
                            " tokens) exceed the context of " + std::to_string(info.n_ctx));
  }
  return Status();
}

}  // namespace

LatencySummary summarize_latencies(std::vector<double> ms) {
  LatencySummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean_ms = sum / static_cast<double>(ms.size());
  // Nearest-rank percentiles.
  auto rank = [&](double p) {
    const auto k = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::clamp<size_t>(k, 1, ms.size()) - 1];
  };
  s.p50_ms = rank(0.50);
  s.p99_ms = rank(0.99);
  s.max_ms = ms.back();
  return s;
}

StatusOr<RequestTiming> run_timed_request(EngineClient& engine, std::vector<int32_t> prompt,
                                          int32_t max_tokens, const std::string& conversation_id) {
  Timeline t;
  IMP_RETURN_IF_ERROR(run_one(engine, std::move(prompt), max_tokens, t, conversation_id));
  if (t.finish == FinishReason::kCancelled) return cancelled("the request was cancelled");
  RequestTiming r;
  r.ttft_ms = ms_between(t.submitted, t.first);
  r.total_ms = ms_between(t.submitted, t.last);
  r.completion_tokens = t.completion_tokens;
  r.cached_tokens = t.cached;
  r.text = std::move(t.text);
  r.output_tokens = std::move(t.output_tokens);
  return r;
}

StatusOr<LoadResult> run_load(EngineClient& engine, const LoadOptions& o) {
  IMP_RETURN_IF_ERROR(validate(o, engine.info()));
  const int32_t n = o.concurrency * o.requests_per_client;
  std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(n));
  std::mt19937_64 rng(o.seed);
  const std::vector<int32_t> prefix = random_prompt(rng, engine.tokenizer(), o.shared_prefix);
  for (auto& p : prompts) {
    int32_t len = o.prompt_len;
    if (o.min_prompt_len > 0) len = std::uniform_int_distribution<int32_t>(o.min_prompt_len, o.prompt_len)(rng);
    if (o.shared_prefix > 0) {
      p = prefix;
      auto rest = random_tokens(rng, engine.tokenizer(), len - static_cast<int32_t>(prefix.size()));
      p.insert(p.end(), rest.begin(), rest.end());
    } else {
      p = random_prompt(rng, engine.tokenizer(), len);
    }
  }
  std::vector<Timeline> timelines(static_cast<size_t>(n));
  std::vector<Status> errors(static_cast<size_t>(o.concurrency));
  const EngineStats before = engine.stats();
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int32_t c = 0; c < o.concurrency; ++c) {
    clients.emplace_back([&, c] {
      for (int32_t r = 0; r < o.requests_per_client && errors[c].ok(); ++r) {
        const size_t i = static_cast<size_t>(c) * o.requests_per_client + r;
        errors[c] = run_one(engine, std::move(prompts[i]), o.gen_len, timelines[i]);
      }
    });
  }
  for (auto& t : clients) t.join();
  const auto end = Clock::now();
  for (const auto& e : errors) IMP_RETURN_IF_ERROR(e);
  const EngineStats after = engine.stats();

  LoadResult res;
  res.options = o;
  res.n_requests = n;
  res.wall_s = std::chrono::duration<double>(end - start).count();
  std::vector<double> ttft, tpot;
  for (const auto& t : timelines) {
    res.prompt_tokens += t.prompt_tokens;
    res.generated_tokens += t.completion_tokens;
    ttft.push_back(ms_between(t.submitted, t.first));
    if (t.completion_tokens > 1) tpot.push_back(ms_between(t.first, t.last) / (t.completion_tokens - 1));
  }
  res.generated_tok_s = static_cast<double>(res.generated_tokens) / res.wall_s;
  res.ttft = summarize_latencies(std::move(ttft));
  res.tpot = summarize_latencies(std::move(tpot));
  res.prompt_tokens_computed = after.prompt_tokens_computed - before.prompt_tokens_computed;
  res.prompt_tokens_reused = after.prompt_tokens_reused - before.prompt_tokens_reused;
  res.preemptions = after.preemptions - before.preemptions;
  res.kv_blocks_used_after = engine.cache_status().blocks_used;
  return res;
}

StatusOr<std::vector<TurnResult>> run_multi_turn(EngineClient& engine, const MultiTurnOptions& o) {
  if (o.turns < 1 || o.system_len < 1 || o.user_len < 1 || o.reply_len < 1) {
    return invalid_argument("turns and lengths must be >= 1");
  }
  const Tokenizer& tok = engine.tokenizer();
  std::mt19937_64 rng(o.seed);
  std::vector<int32_t> history = random_prompt(rng, tok, o.system_len);
  std::vector<TurnResult> out;
  size_t previous_len = 0;  // tokens the previous turn's prompt and reply covered
  for (int32_t turn = 0; turn < o.turns; ++turn) {
    auto user = random_tokens(rng, tok, o.user_len);
    history.insert(history.end(), user.begin(), user.end());
    if (static_cast<int64_t>(history.size()) + o.reply_len > engine.info().n_ctx) {
      return invalid_argument("the conversation outgrows the context at turn " + std::to_string(turn + 1));
    }
    TurnResult tr;
    tr.prompt_tokens = static_cast<int32_t>(history.size());
    tr.new_tokens = static_cast<int32_t>(history.size() - previous_len);
    const uint64_t computed_before = engine.stats().prompt_tokens_computed;
    IMP_ASSIGN_OR_RETURN(RequestTiming t, run_timed_request(engine, history, o.reply_len, o.conversation_id));
    tr.computed_tokens = engine.stats().prompt_tokens_computed - computed_before;
    tr.cached_tokens = t.cached_tokens;
    tr.ttft_ms = t.ttft_ms;
    out.push_back(tr);
    // A token-level client re-sends the reply's ids; a text client its text,
    // which comes back re-tokenized (the same ids only where the model's
    // output is canonically tokenized).
    auto reply = o.resend_text ? tok.encode(t.text, false, false) : t.output_tokens;
    history.insert(history.end(), reply.begin(), reply.end());
    previous_len = history.size();
  }
  return out;
}

}  // namespace impetus
