// The transport-neutral view of HTTP that routes are written against: a
// parsed request, a complete response, and a Responder through which a
// handler answers (at once or later, from any thread), either with one
// response, with a stream (SSE) of body chunks, or by accepting a WebSocket
// upgrade (websocket.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace impetus::http {

class WebSocketHandler;

struct HttpRequest {
  std::string method;                              // "GET", "POST", ...
  std::string target;                              // raw request target ("/v1/models?x=1")
  std::string path;                                // decoded path ("/v1/models")
  std::map<std::string, std::string> query;        // decoded query parameters
  std::map<std::string, std::string> headers;      // names lower-cased
  std::map<std::string, std::string> path_params;  // from "{name}" segments of the route
  std::string body;
  std::string remote;                              // "127.0.0.1:54321"
  // The request's id: its X-Request-Id when sane (printable ASCII, 1..128
  // characters), else one the server generated. Echoed in the response's
  // X-Request-Id and put on every log line about the request.
  std::string request_id;
  bool websocket_upgrade = false;                  // a WebSocket upgrade request

  // The header value, or "" when absent (name in lower case).
  std::string header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// A response body sent piece by piece (chunked transfer encoding), for
// server-sent events. Thread-safe: write() and close() may be called from any
// thread; they never block on the network.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues data; returns false once the client has gone (data is dropped).
  virtual bool write(std::string data) = 0;
  // Ends the body after everything queued is sent. Idempotent.
  virtual void close() = 0;
  // fn runs once, on an I/O thread, if the client disconnects before close()
  // (or at once, on the caller's thread, if it already has). Set it before
  // the first write. It never runs inside write() or close(); only the first
  // fn set is kept.
  virtual void on_disconnect(std::function<void()> fn) = 0;
  virtual bool disconnected() const = 0;
};

// How a handler answers. Exactly one of respond() / start_stream() must be
// called, once, from any thread, now or later; the connection waits for it.
class Responder {
 public:
  virtual ~Responder() = default;
  virtual void respond(HttpResponse response) = 0;
  virtual std::shared_ptr<StreamWriter> start_stream(
      int status, const std::string& content_type,
      std::vector<std::pair<std::string, std::string>> headers = {}) = 0;
  // True once the client has disconnected (a handler may skip its work).
  virtual bool disconnected() const = 0;
  // fn runs once, on an I/O thread, if the client disconnects before the
  // answer is complete (or at once, on the caller's thread, if it already
  // has). It never runs inside respond(). The HttpServer's responder
  // implements it (shared with the stream's on_disconnect: only the first fn
  // set on either is kept); the default ignores fn.
  virtual void on_disconnect(std::function<void()> fn) { (void)fn; }
  // Answers a WebSocket upgrade request (websocket_upgrade) by completing the
  // handshake; the handler then owns the connection. Returns false, and
  // answers nothing, when the request is not an upgrade or this responder
  // cannot upgrade (the default). Counts as the one answer when it succeeds.
  virtual bool accept_websocket(std::shared_ptr<WebSocketHandler> handler) {
    (void)handler;
    return false;
  }
};

// Called on an I/O thread; `request` is valid only during the call (copy what
// outlives it). The handler must not block: it answers through the Responder,
// now or later, from any thread.
using Handler = std::function<void(const HttpRequest&, std::shared_ptr<Responder>)>;

}  // namespace impetus::http
