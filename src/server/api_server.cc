#include "server/api_server.h"

#include <chrono>
#include <shared_mutex>

#include "core/log.h"
#include "server/api_error.h"
#include "server/events/metrics_update.h"
#include "server/events/periodic.h"
#include "server/routes/metrics_routes.h"
#include "server/routes/model_routes.h"
#include "server/routes/routes.h"
#include "server/routes/ws_routes.h"

namespace impetus {

// Log lines reach the hub through this, so that a line logged on another
// thread while the server stops never touches a hub that is going away.
struct ApiServer::LogForward {
  std::shared_mutex mu;
  EventHub* hub = nullptr;  // null once stopped
};

ApiServer::ApiServer(ApiServerOptions options, ModelRegistry& registry)
    : options_(std::move(options)), registry_(registry) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::set_model_control(ModelControl* control) {
  if (control == nullptr) return;
  add_route_group([control](http::Router& r, const RouteContext& ctx) { add_model_routes(r, ctx, *control); });
}

void ApiServer::publish_every(std::string room, std::string type, std::chrono::milliseconds period,
                              std::function<nlohmann::json()> make) {
  if (http_) {
    publish_periodically(*http_, events_, std::move(room), std::move(type), period, std::move(make));
  } else {
    periodic_.push_back({std::move(room), std::move(type), period, std::move(make)});
  }
}

Status ApiServer::start() {
  RouteContext ctx;
  ctx.registry = &registry_;
  ctx.api_key = options_.api_key;
  ctx.version = options_.version;
  ctx.dashboard = options_.dashboard;
  ctx.started = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  ctx.events = &events_;
  ctx.metrics = &metrics_;
  http::Router router;
  add_health_routes(router, ctx);
  add_openai_routes(router, ctx);
  add_cache_routes(router, ctx);
  add_metrics_routes(router, ctx);
  add_ws_routes(router, ctx);
  for (const auto& group : route_groups_) group(router, ctx);
  http::HttpServerOptions hopts = options_.http;
  hopts.error_response = [](int status, const std::string& message) {
    return error_response_for_http(status, message);
  };
  hopts.on_request_done = [this,
                           user = options_.http.on_request_done](const http::RequestRecord& r) {
    metrics_.record_request(r);
    if (user) user(r);
  };
  http_ = std::make_unique<http::HttpServer>(hopts, std::move(router));
  metrics_.collect_engines(registry_);
  metrics_.collect_events(events_);
  metrics_.collect_connections(*http_);
  auto builder = std::make_shared<MetricsUpdateBuilder>(registry_);
  publish_periodically(*http_, events_, std::string(rooms::kMetrics), "metrics_update",
                       options_.metrics_update_period, [builder] { return builder->build(); });
  for (Periodic& p : periodic_) {
    publish_periodically(*http_, events_, std::move(p.room), std::move(p.type), p.period,
                         std::move(p.make));
  }
  periodic_.clear();
  if (options_.forward_logs) {
    log_forward_ = std::make_shared<LogForward>();
    log_forward_->hub = &events_;
    set_log_observer([forward = log_forward_](const LogRecord& r) {
      std::shared_lock lock(forward->mu);
      if (forward->hub == nullptr) return;
      forward->hub->publish_lazy(rooms::kLogs, "log", [&] {
        nlohmann::json j = {
            {"level", log_level_name(r.level)}, {"msg", r.message}, {"ts", r.unix_ms}};
        if (!r.request_id.empty()) j["request_id"] = r.request_id;
        return j;
      });
    });
  }
  return http_->start();
}

uint16_t ApiServer::port() const { return http_ ? http_->port() : 0; }

void ApiServer::stop() {
  if (log_forward_) {
    set_log_observer(nullptr);
    std::unique_lock lock(log_forward_->mu);
    log_forward_->hub = nullptr;
  }
  if (http_) http_->stop();
}

}  // namespace impetus
