#include "server/events/metrics_update.h"

namespace impetus {

nlohmann::json MetricsUpdateBuilder::build() {
  const auto now = std::chrono::steady_clock::now();
  auto models = nlohmann::json::array();
  uint64_t running = 0, waiting = 0;
  double generated_per_s = 0.0, prompt_per_s = 0.0;
  for (const ServedModel& m : models_.list()) {
    if (m.engine == nullptr) continue;
    const EngineStats s = m.engine->stats();
    const CacheStatus c = m.engine->cache_status();
    const uint64_t prompt = s.prompt_tokens_computed + s.prompt_tokens_reused;
    auto [it, fresh] = previous_.try_emplace(m.id);
    Previous& p = it->second;
    const double dt = std::chrono::duration<double>(now - p.at).count();
    if (fresh) {
      p = {s.generated_tokens, prompt, now, 0.0, 0.0};
    } else if (dt >= 1.0) {
      p.generated_per_s =
          static_cast<double>(s.generated_tokens - std::min(s.generated_tokens, p.generated)) / dt;
      p.prompt_per_s = static_cast<double>(prompt - std::min(prompt, p.prompt)) / dt;
      p.generated = s.generated_tokens;
      p.prompt = prompt;
      p.at = now;
    }
    const uint64_t lookups = c.lookups_hit + c.lookups_missed;
    models.push_back(
        {{"model", m.id},
         {"requests_running", s.requests_running},
         {"requests_waiting", s.requests_waiting},
         {"requests_total", s.requests_total},
         {"prompt_tokens_total", prompt},
         {"prompt_tokens_reused_total", s.prompt_tokens_reused},
         {"generated_tokens_total", s.generated_tokens},
         {"generation_tokens_per_second", p.generated_per_s},
         {"prompt_tokens_per_second", p.prompt_per_s},
         {"kv_blocks_total", c.blocks_total},
         {"kv_blocks_used", c.blocks_used},
         {"kv_cache_memory_used_bytes", c.memory_used_bytes},
         {"prefix_cache_hit_rate",
          lookups > 0 ? static_cast<double>(c.lookups_hit) / static_cast<double>(lookups) : 0.0}});
    running += s.requests_running;
    waiting += s.requests_waiting;
    generated_per_s += p.generated_per_s;
    prompt_per_s += p.prompt_per_s;
  }
  return {{"models", models},
          {"models_loading", models_.loading()},
          {"totals",
           {{"requests_running", running},
            {"requests_waiting", waiting},
            {"generation_tokens_per_second", generated_per_s},
            {"prompt_tokens_per_second", prompt_per_s}}}};
}

}  // namespace impetus
