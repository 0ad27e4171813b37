// ApiServer: the HTTP API of Impetus: the OpenAI-compatible routes, models
// and health, on an HttpServer, answering for the models in a ModelRegistry.
// It also owns the observability plumbing: the EventHub behind GET /ws
// (live events, docs/events.md; metrics_update every 2 s, log lines in room
// "logs"), the Prometheus metrics behind GET /metrics (request counts and
// latencies by route, generation histograms, engine values pulled at scrape
// time), and request ids / access logs (HttpServer).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/events/event_hub.h"
#include "server/http/http_server.h"
#include "server/metrics/metrics_registry.h"
#include "server/metrics/server_metrics.h"
#include "server/model_control.h"
#include "server/model_registry.h"
#include "server/routes/routes.h"

namespace impetus {

struct ApiServerOptions {
  http::HttpServerOptions http;  // host, port, threads, limits
  std::string api_key;           // non-empty: /v1 routes need "Authorization: Bearer <key>"
  std::string version = "0.1.0"; // reported at / and in system_fingerprint
  bool dashboard = false;        // a route group serves the web dashboard at GET /
  bool forward_logs = true;      // log lines to WebSocket room "logs" (process-wide observer)
  std::chrono::milliseconds metrics_update_period{2000};  // metrics_update events (room "metrics")
};

class ApiServer {
 public:
  ApiServer(ApiServerOptions options, ModelRegistry& registry);
  ~ApiServer();
  Status start();
  uint16_t port() const;
  void stop();

  // Producers publish live events here (thread-safe; any time).
  EventHub& events() { return events_; }
  // Counters, gauges, histograms and scrape-time collectors (e.g. hardware).
  ServerMetrics& metrics() { return metrics_; }
  // Publishes make() to `room` as `type` every `period` while the room has
  // subscribers (and as its snapshot for new subscribers); see
  // events/periodic.h. Before or after start(); make() must be quick.
  void publish_every(std::string room, std::string type, std::chrono::milliseconds period,
                     std::function<nlohmann::json()> make);
  // More route groups (model management, downloads, hardware, ...), added
  // by whoever owns their dependencies; call before start().
  using RouteGroup = std::function<void(http::Router&, const RouteContext&)>;
  void add_route_group(RouteGroup group) { route_groups_.push_back(std::move(group)); }
  // Convenience: the model-management routes (routes/model_routes.h).
  void set_model_control(ModelControl* control);

 private:
  struct LogForward;  // the log observer's way to the hub, cut at stop()
  struct Periodic {
    std::string room, type;
    std::chrono::milliseconds period;
    std::function<nlohmann::json()> make;
  };

  ApiServerOptions options_;
  ModelRegistry& registry_;
  // Declared before http_: the server (and its WebSockets) goes first.
  EventHub events_;
  MetricsRegistry metrics_registry_;
  ServerMetrics metrics_{metrics_registry_};
  std::vector<Periodic> periodic_;  // registered before start()
  std::shared_ptr<LogForward> log_forward_;
  std::vector<RouteGroup> route_groups_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace impetus
