#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/bench_load.h"
#include "app/loaded_model.h"
#include "telemetry/benchmark_task.h"

namespace impetus::app {
namespace {

nlohmann::json latency_json(const LatencySummary& s) {
  return {{"mean_ms", s.mean_ms}, {"p50_ms", s.p50_ms}, {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}};
}

nlohmann::json load_json(const LoadResult& r) {
  return {{"concurrency", r.options.concurrency}, {"requests", r.n_requests},
          {"prompt_len", r.options.prompt_len}, {"gen_len", r.options.gen_len},
          {"shared_prefix", r.options.shared_prefix},
          {"prompt_tokens", r.prompt_tokens}, {"generated_tokens", r.generated_tokens},
          {"wall_s", r.wall_s}, {"generated_tok_s", r.generated_tok_s},
          {"ttft", latency_json(r.ttft)}, {"tpot", latency_json(r.tpot)},
          {"prompt_tokens_computed", r.prompt_tokens_computed},
          {"prompt_tokens_reused", r.prompt_tokens_reused}, {"preemptions", r.preemptions},
          {"kv_blocks_used_after", r.kv_blocks_used_after},
          {"rss_after_bytes", read_process_memory().rss_bytes}};
}

void print_load_header() {
  std::printf("| clients | requests | gen tok/s | x1 client | TTFT p50 ms | TTFT p99 ms | TPOT mean ms | TPOT p99 ms | preempt | blocks left | RSS after MiB |\n");
  std::printf("| ------: | -------: | --------: | --------: | ----------: | ----------: | -----------: | ----------: | ------: | ----------: | ------------: |\n");
}

void print_load_row(const LoadResult& r, double single) {
  std::printf("| %7d | %8d | %9.2f | %9.2f | %11.1f | %11.1f | %12.1f | %11.1f | %7llu | %11d | %13.0f |\n",
              r.options.concurrency, r.n_requests, r.generated_tok_s,
              single > 0 ? r.generated_tok_s / single : 0.0, r.ttft.p50_ms, r.ttft.p99_ms,
              r.tpot.mean_ms, r.tpot.p99_ms, static_cast<unsigned long long>(r.preemptions),
              r.kv_blocks_used_after, static_cast<double>(read_process_memory().rss_bytes) / (1 << 20));
  std::fflush(stdout);
}

StatusOr<nlohmann::json> run_levels(EngineClient& engine, const LoadBenchArgs& a) {
  auto levels = nlohmann::json::array();
  if (!a.json) print_load_header();
  double single = 0;
  for (int c : a.concurrency) {
    impetus::LoadOptions o = a.load;
    o.concurrency = c;
    IMP_ASSIGN_OR_RETURN(LoadResult r, run_load(engine, o));
    if (c == 1) single = r.generated_tok_s;
    if (!a.json) print_load_row(r, single);
    levels.push_back(load_json(r));
  }
  return levels;
}

// Per turn: prompt and new tokens; computed tokens and TTFT with the cache
// (ids re-sent), with the cache (text re-sent), without the cache.
void print_turns(const std::vector<std::vector<TurnResult>>& runs) {
  std::printf("\n| turn | prompt | new | computed (ids) | TTFT ms (ids) | computed (text) | TTFT ms (text) | "
              "computed (no cache) | TTFT ms (no cache) |\n");
  std::printf("| ---: | -----: | --: | -------------: | ------------: | --------------: | -------------: | "
              "------------------: | -----------------: |\n");
  for (size_t i = 0; i < runs[0].size(); ++i) {
    const auto &x = runs[0][i], &y = runs[1][i], &z = runs[2][i];
    std::printf("| %4zu | %6d | %3d | %14llu | %13.1f | %15llu | %14.1f | %19llu | %18.1f |\n", i + 1,
                x.prompt_tokens, x.new_tokens, static_cast<unsigned long long>(x.computed_tokens), x.ttft_ms,
                static_cast<unsigned long long>(y.computed_tokens), y.ttft_ms,
                static_cast<unsigned long long>(z.computed_tokens), z.ttft_ms);
  }
}

// The multi-turn chat three times: prefix cache on with a client re-sending
// the replies' token ids, on with a client re-sending their text, then off.
StatusOr<nlohmann::json> run_turns(EngineClient& engine, const LoadBenchArgs& a) {
  struct Pass {
    const char* key;
    bool cache;
    bool text;
  };
  const Pass passes[] = {{"cache_on", true, false}, {"cache_on_text", true, true}, {"cache_off", false, false}};
  nlohmann::json out;
  std::vector<std::vector<TurnResult>> runs;
  for (const Pass& p : passes) {
    CacheSettings s = engine.cache_settings();
    s.enabled = p.cache;
    IMP_RETURN_IF_ERROR(engine.set_cache_settings(s));
    engine.clear_cache();
    MultiTurnOptions o = a.turns;
    o.turns = a.multi_turn;
    o.resend_text = p.text;
    IMP_ASSIGN_OR_RETURN(auto turns, run_multi_turn(engine, o));
    auto arr = nlohmann::json::array();
    for (const auto& t : turns) {
      arr.push_back({{"prompt_tokens", t.prompt_tokens}, {"new_tokens", t.new_tokens},
                     {"computed_tokens", t.computed_tokens}, {"cached_tokens", t.cached_tokens},
                     {"ttft_ms", t.ttft_ms}});
    }
    out[p.key] = arr;
    runs.push_back(std::move(turns));
  }
  CacheSettings s = engine.cache_settings();
  s.enabled = true;
  IMP_RETURN_IF_ERROR(engine.set_cache_settings(s));
  const double on = runs[0].back().ttft_ms, off = runs[2].back().ttft_ms;
  out["last_turn_ttft_ratio"] = off > 0 ? on / off : 0.0;
  if (!a.json) print_turns(runs);
  if (!a.json) {
    std::printf("\nlast turn TTFT, cache on / off: %.1f / %.1f ms = %.1f%% (replies re-sent as text: %.1f ms)\n", on,
                off, off > 0 ? 100.0 * on / off : 0.0, runs[1].back().ttft_ms);
  }
  return out;
}

// What the process held around the load levels: the KV cache is one pool
// fixed at load (its size is the budget), so the resident set may grow only
// by the weights paged in and the allocator's working memory, and must come
// back down once the clients have left.
nlohmann::json memory_report(const EngineInfo& info, const ProcessMemory& before, const ProcessMemory& after,
                             bool json) {
  auto mib = [](uint64_t b) { return static_cast<double>(b) / (1 << 20); };
  if (!json) {
    std::printf("\nmemory: weights %.0f MiB + KV cache pool %.0f MiB (fixed at load); process RSS %.0f MiB before "
                "the clients, %.0f MiB after, peak %.0f MiB\n",
                mib(info.weight_bytes), mib(info.kv_cache_bytes), mib(before.rss_bytes), mib(after.rss_bytes),
                mib(after.hwm_bytes));
  }
  return {{"weight_bytes", info.weight_bytes}, {"kv_cache_bytes", info.kv_cache_bytes},
          {"rss_before_bytes", before.rss_bytes}, {"rss_after_bytes", after.rss_bytes},
          {"rss_peak_bytes", after.hwm_bytes}};
}

}  // namespace

void add_load_bench_options(CLI::App& cmd, LoadBenchArgs& a) {
  cmd.add_option("--concurrency", a.concurrency, "serving load: client counts to run, e.g. 1,4,8,16")
      ->delimiter(',')->check(CLI::Range(1, 4096));
  cmd.add_option("--prompt-len", a.load.prompt_len, "serving load: prompt tokens per request")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd.add_option("--min-prompt-len", a.load.min_prompt_len,
                 "serving load: > 0 draws each prompt length uniformly from [min, --prompt-len]")
      ->check(CLI::Range(0, 1 << 20));
  cmd.add_option("--gen-len", a.load.gen_len, "serving load: tokens generated per request")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd.add_option("--shared-prefix", a.load.shared_prefix,
                 "serving load: leading prompt tokens every request shares (a system prompt)")
      ->check(CLI::Range(0, 1 << 20));
  cmd.add_option("--requests-per-client", a.load.requests_per_client,
                 "serving load: requests each client sends in turn")
      ->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd.add_option("--multi-turn", a.multi_turn,
                 "chat of N turns re-sending its history, prefix cache on then off")
      ->check(CLI::Range(1, 1000));
  cmd.add_option("--parallel", a.host.max_running, "serving: sequences generated at once")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  cmd.add_option("-b,--batch-size", a.host.max_batch_tokens, "serving: tokens per forward step")
      ->check(CLI::Range(1, 1 << 16))->capture_default_str();
  cmd.add_option("-c,--ctx-size", a.host.n_ctx, "serving: tokens per sequence (0 = model's, max 4096)")
      ->check(CLI::Range(0, 1 << 20));
  cmd.add_option("--kv-cache-size", a.host.kv_cache_bytes, "serving: KV cache memory in MiB (0 = automatic)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
}

bool load_bench_requested(const LoadBenchArgs& a) { return !a.concurrency.empty() || a.multi_turn > 0; }

int run_load_bench(LoadBenchArgs a) {
  a.host.kv_cache_bytes <<= 20;  // the option is in MiB
  auto hosted = host_model(a.host);
  if (!hosted.ok()) return report_error(hosted.status());
  EngineClient& engine = *(*hosted)->engine;
  const EngineInfo info = engine.info();
  if (!a.json) {
    std::printf("model %s, %s, context %d, KV cache %.0f MiB, max running %d\n\n", info.model_id.c_str(),
                info.backend.c_str(), info.n_ctx, static_cast<double>(info.kv_cache_bytes) / (1 << 20),
                a.host.max_running);
  }
  nlohmann::json out = {{"model", a.host.path}, {"backend", info.backend}, {"n_ctx", info.n_ctx},
                        {"kv_cache_bytes", info.kv_cache_bytes}, {"max_running", a.host.max_running}};
  if (!a.concurrency.empty()) {
    const ProcessMemory before = read_process_memory();
    auto levels = run_levels(engine, a);
    if (!levels.ok()) return report_error(levels.status());
    out["load"] = *levels;
    out["memory"] = memory_report(info, before, read_process_memory(), a.json);
  }
  if (a.multi_turn > 0) {
    auto turns = run_turns(engine, a);
    if (!turns.ok()) return report_error(turns.status());
    out["multi_turn"] = *turns;
  }
  if (a.json) std::puts(out.dump().c_str());
  return 0;
}

}  // namespace impetus::app
