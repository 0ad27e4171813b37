// ServerMetrics: the metrics the API server records itself, on a
// MetricsRegistry, plus the collectors that pull the rest at scrape time.
//
// Recorded as things happen:
//   impetus_http_requests_total{method,route,status}        counter
//   impetus_http_request_duration_seconds{method,route}     histogram
//   impetus_time_to_first_token_seconds{model}              histogram
//   impetus_time_per_output_token_seconds{model}            histogram
//   impetus_model_load_seconds{model}                       gauge (set_model_load_seconds)
// Pulled from each served model's EngineClient (stats(), cache_status()):
//   impetus_requests_total, impetus_requests_running, impetus_requests_waiting,
//   impetus_prompt_tokens_total, impetus_prompt_tokens_reused_total,
//   impetus_generated_tokens_total, impetus_preemptions_total,
//   impetus_engine_steps_total, impetus_kv_blocks_{total,used,free,cached},
//   impetus_kv_cache_memory_{used,max}_bytes, impetus_prefix_cache_lookups_total{result}
// (all labelled by model). `route` is the matched route pattern
// ("/v1/models/{id*}"), "unmatched" when none; `method` is one of the
// standard methods or "OTHER", so label sets stay bounded.
#pragma once

#include <string>

#include "server/http/http_server.h"
#include "server/metrics/metrics_registry.h"
#include "server/model_registry.h"

namespace impetus {

class EventHub;

class ServerMetrics {
 public:
  explicit ServerMetrics(MetricsRegistry& registry);

  MetricsRegistry& registry() { return registry_; }

  // One finished HTTP request (HttpServerOptions::on_request_done).
  void record_request(const http::RequestRecord& record);
  // One finished generation: time to its first output, and per output token after it
  // (tpot_s < 0: not measurable, e.g. a single token).
  void record_generation(const std::string& model, double ttft_s, double tpot_s);
  void set_model_load_seconds(const std::string& model, double seconds);

  // Scrape-time collectors.
  void collect_engines(const ModelRegistry& models);  // ModelRegistry must outlive the registry
  void collect_events(const EventHub& hub);           // likewise
  void collect_connections(const http::HttpServer& server);  // likewise

  // "GET" stays "GET"; unknown methods become "OTHER".
  static std::string method_label(const std::string& method);

 private:
  MetricsRegistry& registry_;
  CounterFamily& requests_;
  HistogramFamily& request_seconds_;
  HistogramFamily& ttft_seconds_;
  HistogramFamily& tpot_seconds_;
  GaugeFamily& load_seconds_;
};

}  // namespace impetus
