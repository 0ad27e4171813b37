#include "server/metrics/server_metrics.h"

#include "server/events/event_hub.h"

namespace impetus {
namespace {

const std::vector<double> kRequestBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                             0.5,   1,      2.5,   5,    10,    30,   60,  120};
const std::vector<double> kTtftBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                          1,     2.5,  5,     10,   30,  60};
const std::vector<double> kTpotBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1,   0.25,   0.5,   1,    2.5};

void engine_samples(MetricsSink& out, const ServedModel& m) {
  const EngineStats s = m.engine->stats();
  const CacheStatus c = m.engine->cache_status();
  const MetricLabels l = {{"model", m.id}};
  const auto d = [](uint64_t v) { return static_cast<double>(v); };
  out.counter("impetus_requests_total", "Generation requests accepted by the engine", l,
              d(s.requests_total));
  out.gauge("impetus_requests_running", "Sequences being generated now", l, d(s.requests_running));
  out.gauge("impetus_requests_waiting", "Requests queued for the engine (queue depth)", l,
            d(s.requests_waiting));
  out.counter("impetus_prompt_tokens_total",
              "Prompt tokens of finished prefills, computed or reused", l,
              d(s.prompt_tokens_computed + s.prompt_tokens_reused));
  out.counter("impetus_prompt_tokens_reused_total",
              "Prompt tokens whose K/V came from the prefix cache", l, d(s.prompt_tokens_reused));
  out.counter("impetus_generated_tokens_total", "Tokens generated", l, d(s.generated_tokens));
  out.counter("impetus_preemptions_total", "Sequences preempted for lack of KV blocks", l,
              d(s.preemptions));
  out.counter("impetus_engine_steps_total", "Forward steps run by the engine", l, d(s.steps));
  out.gauge("impetus_kv_blocks_total", "KV cache blocks within the memory budget", l,
            c.blocks_total);
  out.gauge("impetus_kv_blocks_used", "KV cache blocks held by sequences or pinned conversations",
            l, c.blocks_used);
  out.gauge("impetus_kv_blocks_free",
            "KV cache blocks not held (cached but unreferenced ones count as free)", l,
            std::max(0, c.blocks_total - c.blocks_used));
  out.gauge("impetus_kv_blocks_cached", "KV cache blocks findable by content (prefix cache)", l,
            c.blocks_cached);
  out.gauge("impetus_kv_cache_memory_used_bytes", "KV cache memory in use", l,
            d(c.memory_used_bytes));
  out.gauge("impetus_kv_cache_memory_max_bytes", "KV cache memory budget", l,
            d(c.memory_max_bytes));
  out.counter("impetus_prefix_cache_lookups_total", "Prefix cache lookups by result",
              {{"model", m.id}, {"result", "hit"}}, d(c.lookups_hit));
  out.counter("impetus_prefix_cache_lookups_total", "Prefix cache lookups by result",
              {{"model", m.id}, {"result", "miss"}}, d(c.lookups_missed));
}

}  // namespace

ServerMetrics::ServerMetrics(MetricsRegistry& registry)
    : registry_(registry),
      requests_(registry.counter("impetus_http_requests_total",
                                 "HTTP requests by method, route and status")),
      request_seconds_(registry.histogram("impetus_http_request_duration_seconds",
                                          "HTTP request latency (until the last byte was sent)",
                                          kRequestBuckets)),
      ttft_seconds_(registry.histogram("impetus_time_to_first_token_seconds",
                                       "Time from a generation request to its first output",
                                       kTtftBuckets)),
      tpot_seconds_(registry.histogram("impetus_time_per_output_token_seconds",
                                       "Time per output token after the first", kTpotBuckets)),
      load_seconds_(registry.gauge("impetus_model_load_seconds", "Time the model took to load")) {}

std::string ServerMetrics::method_label(const std::string& method) {
  static const char* kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (const char* m : kKnown) {
    if (method == m) return method;
  }
  return "OTHER";
}

void ServerMetrics::record_request(const http::RequestRecord& record) {
  const std::string method = method_label(record.method);
  const std::string route = record.pattern.empty() ? "unmatched" : record.pattern;
  requests_.inc({{"method", method}, {"route", route}, {"status", std::to_string(record.status)}});
  request_seconds_.observe({{"method", method}, {"route", route}}, record.duration_s);
}

void ServerMetrics::record_generation(const std::string& model, double ttft_s, double tpot_s) {
  if (ttft_s >= 0) ttft_seconds_.observe({{"model", model}}, ttft_s);
  if (tpot_s >= 0) tpot_seconds_.observe({{"model", model}}, tpot_s);
}

void ServerMetrics::set_model_load_seconds(const std::string& model, double seconds) {
  load_seconds_.set({{"model", model}}, seconds);
}

void ServerMetrics::collect_engines(const ModelRegistry& models) {
  registry_.add_collector([&models](MetricsSink& out) {
    for (const ServedModel& m : models.list()) {
      if (m.engine != nullptr) engine_samples(out, m);
    }
  });
}

void ServerMetrics::collect_events(const EventHub& hub) {
  registry_.add_collector([&hub](MetricsSink& out) {
    const EventHub::Stats s = hub.stats();
    out.gauge("impetus_websocket_clients", "Connected WebSocket event clients", {},
              static_cast<double>(s.n_clients));
    out.counter("impetus_events_published_total", "Events published to at least one client", {},
                static_cast<double>(s.n_published));
    out.counter("impetus_events_delivered_total", "Event frames queued on clients", {},
                static_cast<double>(s.n_delivered));
    out.counter(
        "impetus_websocket_clients_dropped_total",
        "Event clients dropped because their send queue overflowed or their socket went away", {},
        static_cast<double>(s.n_dropped_clients));
  });
}

void ServerMetrics::collect_connections(const http::HttpServer& server) {
  registry_.add_collector([&server](MetricsSink& out) {
    out.gauge("impetus_http_connections", "Open HTTP and WebSocket connections", {},
              static_cast<double>(server.n_connections()));
  });
}

}  // namespace impetus
