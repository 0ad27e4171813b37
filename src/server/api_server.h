// ApiServer: the HTTP API of Impetus: the OpenAI-compatible routes, models
// and health, on an HttpServer, answering for the models in a ModelRegistry.
#pragma once

#include <memory>
#include <string>

#include "server/http/http_server.h"
#include "server/model_registry.h"

namespace impetus {

struct ApiServerOptions {
  http::HttpServerOptions http;  // host, port, threads, limits
  std::string api_key;           // non-empty: /v1 routes need "Authorization: Bearer <key>"
  std::string version = "0.1.0"; // reported at / and in system_fingerprint
};

class ApiServer {
 public:
  ApiServer(ApiServerOptions options, ModelRegistry& registry);
  ~ApiServer();
  Status start();
  uint16_t port() const;
  void stop();

 private:
  ApiServerOptions options_;
  ModelRegistry& registry_;
  std::unique_ptr<http::HttpServer> http_;
};

}  // namespace impetus
