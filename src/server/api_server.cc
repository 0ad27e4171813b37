#include "server/api_server.h"

#include <chrono>

#include "server/api_error.h"
#include "server/routes/routes.h"

namespace impetus {

ApiServer::ApiServer(ApiServerOptions options, ModelRegistry& registry)
    : options_(std::move(options)), registry_(registry) {}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start() {
  RouteContext ctx;
  ctx.registry = &registry_;
  ctx.api_key = options_.api_key;
  ctx.version = options_.version;
  ctx.started = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  http::Router router;
  add_health_routes(router, ctx);
  add_openai_routes(router, ctx);
  add_cache_routes(router, ctx);
  http::HttpServerOptions hopts = options_.http;
  hopts.error_response = [](int status, const std::string& message) {
    return error_response_for_http(status, message);
  };
  http_ = std::make_unique<http::HttpServer>(hopts, std::move(router));
  return http_->start();
}

uint16_t ApiServer::port() const { return http_ ? http_->port() : 0; }

void ApiServer::stop() {
  if (http_) http_->stop();
}

}  // namespace impetus
