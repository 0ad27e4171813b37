// Route registration, one function per group of routes.
#pragma once

#include <string>

#include "server/http/router.h"
#include "server/model_registry.h"

namespace impetus {

class EventHub;
class ServerMetrics;

struct RouteContext {
  ModelRegistry* registry = nullptr;
  std::string api_key;       // "" = no authentication
  std::string version;
  int64_t started = 0;       // unix time the server started
  bool dashboard = false;    // the web dashboard owns GET / (else / answers JSON)
  EventHub* events = nullptr;        // live events for WebSocket clients (null: none)
  ServerMetrics* metrics = nullptr;  // Prometheus metrics (null: none)
};

void add_openai_routes(http::Router& router, const RouteContext& ctx);
void add_health_routes(http::Router& router, const RouteContext& ctx);
void add_cache_routes(http::Router& router, const RouteContext& ctx);

// Wraps a handler: answers 401 unless the request carries the API key.
http::Handler require_api_key(const RouteContext& ctx, http::Handler handler);
// A JSON response with status 200 (or `status`).
http::HttpResponse json_response(const nlohmann::json& j, int status = 200);

}  // namespace impetus
