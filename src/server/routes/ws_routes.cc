#include "server/routes/ws_routes.h"

#include "core/check.h"
#include "server/api_error.h"
#include "server/events/event_socket.h"

namespace impetus {
namespace {

bool authorized(const RouteContext& ctx, const http::HttpRequest& req) {
  if (ctx.api_key.empty()) return true;
  if (req.header("authorization") == "Bearer " + ctx.api_key) return true;
  auto it = req.query.find("api_key");
  return it != req.query.end() && it->second == ctx.api_key;
}

}  // namespace

void add_ws_routes(http::Router& router, const RouteContext& ctx) {
  IMP_CHECK(ctx.events != nullptr, "add_ws_routes needs RouteContext::events");
  router.add(
      "GET", "/ws", [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
        if (!authorized(ctx, req)) {
          return res->respond(error_response_for_http(401, "Incorrect or missing API key."));
        }
        if (!req.websocket_upgrade ||
            !res->accept_websocket(std::make_shared<EventSocket>(*ctx.events))) {
          http::HttpResponse r = error_response_for_http(
              426, "GET /ws is a WebSocket endpoint: send an upgrade request (Upgrade: websocket)");
          r.headers.emplace_back("Upgrade", "websocket");
          res->respond(std::move(r));
        }
      });
}

}  // namespace impetus
