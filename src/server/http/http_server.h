// HttpServer: HTTP/1.1 on Boost.Beast/Asio. Keep-alive, request size limits,
// a pool of I/O threads, handlers dispatched through a Router, streaming
// responses (chunked, for SSE) and graceful shutdown: stop() refuses new
// connections, lets in-flight requests finish for a grace period, then
// closes what is left (streams see a disconnect, so their work is cancelled).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/http/http_types.h"
#include "server/http/router.h"

namespace impetus::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";      // address to bind
  uint16_t port = 8080;                // 0 = any free port (see port())
  int n_threads = 2;                   // I/O threads
  size_t max_body_bytes = 8u << 20;    // larger bodies get 413
  size_t max_header_bytes = 64u << 10; // larger headers get 431
  int idle_timeout_s = 60;             // keep-alive connections idle longer are closed
  int shutdown_grace_ms = 5000;        // stop(): time in-flight requests get to finish
  int write_timeout_s = 60;            // a write stalled this long means the client is gone
  size_t max_stream_buffer_bytes = 16u << 20;  // a stream this far behind its client is dropped
  // Builds the error body for transport-level errors (404, 405, 413, 400 bad HTTP).
  std::function<HttpResponse(int status, const std::string& message)> error_response;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Router router);
  ~HttpServer();

  // Binds and starts the I/O threads; returns once the server accepts connections.
  Status start();
  uint16_t port() const;  // the bound port (useful with port 0)
  // Graceful shutdown (see above); returns when every thread has stopped.
  // Safe to call twice; not from a handler (it joins the I/O threads).
  void stop();
  // Number of connections open now (for tests and metrics).
  size_t n_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace impetus::http
