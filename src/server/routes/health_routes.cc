// GET /, /api/health, /api/health/live, /api/health/ready.
#include <chrono>

#include "server/api_error.h"
#include "server/routes/routes.h"

namespace impetus {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json health(const RouteContext& ctx) {
  auto models = nlohmann::json::array();
  for (const auto& m : ctx.registry->list()) models.push_back(m.id);
  const bool ready = ctx.registry->ready();
  return {{"status", ready ? "healthy" : "loading"},
          {"version", ctx.version},
          {"uptime_s", unix_now() - ctx.started},
          {"models_loaded", models},
          {"models_loading", ctx.registry->loading()}};
}

}  // namespace

http::HttpResponse json_response(const nlohmann::json& j, int status) {
  http::HttpResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

http::Handler require_api_key(const RouteContext& ctx, http::Handler handler) {
  if (ctx.api_key.empty()) return handler;
  return [key = ctx.api_key, handler](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
    if (req.header("authorization") != "Bearer " + key) {
      http::HttpResponse r = error_response_for_http(401, "Incorrect or missing API key.");
      return res->respond(std::move(r));
    }
    handler(req, std::move(res));
  };
}

void add_health_routes(http::Router& router, const RouteContext& ctx) {
  if (!ctx.dashboard) {
  router.add("GET", "/", [ctx](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
    res->respond(json_response({{"name", "impetus"}, {"version", ctx.version},
                                {"description", "Local LLM server with an OpenAI-compatible API"}}));
  });
  }
  router.add("GET", "/api/health", [ctx](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
    res->respond(json_response(health(ctx)));
  });
  router.add("GET", "/api/health/live", [ctx](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
    res->respond(json_response({{"status", "alive"}}));
  });
  router.add("GET", "/api/health/ready", [ctx](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
    const bool ready = ctx.registry->ready();
    nlohmann::json j = health(ctx);
    j["ready"] = ready;
    res->respond(json_response(j, ready ? 200 : 503));
  });
}

}  // namespace impetus
