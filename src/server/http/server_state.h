// State shared by an HttpServer, its connections (Session, WsSession) and the
// responders handed to handlers: the options, the routes, the registry of
// open connections (for stop() and n_connections()) and the gate that keeps
// responders, which may outlive the server, away from its I/O machinery once
// it has stopped. Held through shared_ptr by everything that needs it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/http/connection.h"
#include "server/http/http_server.h"
#include "server/http/http_types.h"
#include "server/http/router.h"

namespace impetus::http {

class ServerState {
 public:
  ServerState(HttpServerOptions options, Router router)
      : options_(std::move(options)), router_(std::move(router)) {}

  const HttpServerOptions& options() const { return options_; }
  const Router& router() const { return router_; }

  // The error response for a transport-level failure (options.error_response
  // or the default JSON body).
  HttpResponse error_response(int status, const std::string& message) const;

  // A request finished: writes its access-log line and calls
  // options.on_request_done (errors it throws are logged, not propagated).
  void request_done(const RequestRecord& record) const;

  // stop() was called: finish in-flight exchanges, start no new ones.
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void set_stopping() { stopping_.store(true, std::memory_order_release); }

  // The gate: while open (between start() and the end of stop()), holders of
  // a shared lock may post work to sessions; closing takes the unique lock.
  std::shared_mutex& gate() { return gate_; }
  bool gate_open() const { return gate_open_; }  // read under gate()
  void set_gate_open(bool open) {
    std::unique_lock lock(gate_);
    gate_open_ = open;
  }

  // Registry of open connections.
  void add_session(const std::shared_ptr<Connection>& session);
  void remove_session(const Connection* session);
  size_t n_sessions() const;
  std::vector<std::shared_ptr<Connection>> sessions() const;
  // Waits until no connection is open or `timeout` passes; true if none is.
  bool wait_no_sessions(std::chrono::milliseconds timeout) const;

 private:
  const HttpServerOptions options_;
  const Router router_;
  std::atomic<bool> stopping_{false};
  std::shared_mutex gate_;
  bool gate_open_ = false;
  mutable std::mutex registry_mu_;
  mutable std::condition_variable registry_cv_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> sessions_;
};

}  // namespace impetus::http
