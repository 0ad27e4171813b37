// HttpServer: HTTP/1.1 on Boost.Beast/Asio. Keep-alive, request size limits,
// a pool of I/O threads, handlers dispatched through a Router, streaming
// responses (chunked, for SSE) and graceful shutdown: stop() refuses new
// connections, lets in-flight requests finish for a grace period, then
// closes what is left (streams see a disconnect, so their work is cancelled;
// WebSockets get a 1001 close frame).
//
// Every request gets an id (HttpRequest::request_id, echoed as X-Request-Id)
// and, once finished, one RequestRecord: written as an info access-log line
// and handed to options.on_request_done (metrics).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/http/http_types.h"
#include "server/http/router.h"

namespace impetus::http {

// One finished request, for the access log and metrics.
struct RequestRecord {
  std::string method;        // as sent ("" when the request line was unreadable)
  std::string path;          // decoded path, without the query
  std::string pattern;       // the matched route's pattern; "unmatched" when none
  int status = 0;            // the status sent (101 for a WebSocket); 499: the client left first
  double duration_s = 0.0;   // from the request read to the response's last byte written
  std::string request_id;
  std::string remote;
  bool client_gone = false;  // the client disconnected before the response was complete
};

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
  bool access_log = true;              // an info log line per finished request
  // Called once per finished request, on an I/O thread; must be quick.
  std::function<void(const RequestRecord&)> on_request_done;
  // WebSockets: a silent peer is pinged after half of ws_idle_timeout_s and
  // closed after all of it; larger incoming messages close with 1009; more
  // queued outgoing (not coalesced) messages or bytes drop the client (1008).
  int ws_idle_timeout_s = 60;
  size_t ws_max_message_bytes = 64u << 10;
  size_t ws_max_queued_messages = 1024;
  size_t ws_max_queued_bytes = 16u << 20;
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
  // Number of connections open now, WebSockets included (for tests and metrics).
  size_t n_connections() const;
  // Calls fn every `period` on an I/O thread (never twice at once), from
  // start() until stop(); fn must be quick and must not block. Any thread,
  // before or after start().
  void add_timer(std::chrono::milliseconds period, std::function<void()> fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace impetus::http
