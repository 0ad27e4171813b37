// The Responder and StreamWriter the HttpServer hands to handlers. Both hold
// the request's Exchange (thread-safe state) and a weak reference to the
// connection; every answer is posted to the connection's strand, so they may
// be used from any thread, for as long as the handler likes -- after the
// connection or even the server has gone, they just report a disconnect.
// A Responder dropped without an answer sends 500; a StreamWriter dropped
// without close() closes the stream. respond(), write() and close() never
// run the on_disconnect callback themselves, so a handler may call them while
// holding a lock that its callback takes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/http/exchange.h"
#include "server/http/http_types.h"
#include "server/http/server_state.h"
#include "server/http/websocket.h"

namespace impetus::http {

class Session;

class ResponderImpl : public Responder {
 public:
  // upgradable: the request is a WebSocket upgrade (accept_websocket may succeed).
  ResponderImpl(std::shared_ptr<ServerState> state, std::weak_ptr<Session> session,
                std::shared_ptr<Exchange> ex, bool upgradable = false)
      : state_(std::move(state)),
        session_(std::move(session)),
        ex_(std::move(ex)),
        upgradable_(upgradable) {}
  ~ResponderImpl() override;

  void respond(HttpResponse response) override;
  std::shared_ptr<StreamWriter> start_stream(
      int status, const std::string& content_type,
      std::vector<std::pair<std::string, std::string>> headers = {}) override;
  bool disconnected() const override { return ex_->gone(); }
  void on_disconnect(std::function<void()> fn) override { ex_->set_on_gone(std::move(fn)); }
  bool accept_websocket(std::shared_ptr<WebSocketHandler> handler) override;

 private:
  const std::shared_ptr<ServerState> state_;
  const std::weak_ptr<Session> session_;
  const std::shared_ptr<Exchange> ex_;
  const bool upgradable_;
};

class StreamWriterImpl : public StreamWriter {
 public:
  StreamWriterImpl(std::shared_ptr<ServerState> state, std::weak_ptr<Session> session,
                   std::shared_ptr<Exchange> ex)
      : state_(std::move(state)), session_(std::move(session)), ex_(std::move(ex)) {}
  ~StreamWriterImpl() override { close(); }

  bool write(std::string data) override;
  void close() override;
  void on_disconnect(std::function<void()> fn) override { ex_->set_on_gone(std::move(fn)); }
  bool disconnected() const override { return ex_->gone(); }

 private:
  const std::shared_ptr<ServerState> state_;
  const std::weak_ptr<Session> session_;
  const std::shared_ptr<Exchange> ex_;
};

}  // namespace impetus::http
