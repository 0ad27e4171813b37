// Session: one accepted HTTP/1.1 connection. It reads a request (with size
// limits and an idle timeout), dispatches it through the Router, waits --
// asynchronously -- for the handler's answer, writes it (a whole response or
// a chunked stream) and goes on with the next request while keep-alive holds.
// While a handler's answer is pending or streaming, a read stays posted on
// the socket so a client that goes away is noticed at once (the exchange is
// then marked gone and its on_disconnect callback runs).
//
// Each request gets an id (from a sane X-Request-Id, else generated), echoed
// in the response and set as the log request id while its handler runs; when
// the exchange ends, a RequestRecord goes to ServerState::request_done.
// A handler that accepts a WebSocket upgrade makes the session hand its
// socket to a WsSession and end.
//
// Every member function runs on the connection's strand. Responders reach it
// through post_to_session(), which posts only while the server's gate is open.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server/http/connection.h"
#include "server/http/exchange.h"
#include "server/http/http_types.h"
#include "server/http/server_state.h"
#include "server/http/websocket.h"

namespace impetus::http {

class Session : public Connection, public std::enable_shared_from_this<Session> {
 public:
  using Strand = http::Strand;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  Session(Strand strand, std::shared_ptr<ServerState> state);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  const Strand& strand() const override { return strand_; }

  // Lifecycle (on the strand).
  void start(std::string remote);
  void server_stopping() override;  // close if idle; else finish the exchange, then close
  void force_close() override;      // stop() after the grace period: the client is gone

  // Answers, posted by responders (ignored unless `ex` is the current exchange).
  void send_response(const std::shared_ptr<Exchange>& ex, HttpResponse response);
  void begin_stream(const std::shared_ptr<Exchange>& ex, int status, std::string content_type,
                    Headers headers);
  void stream_data(const std::shared_ptr<Exchange>& ex, std::string data);
  void stream_close(const std::shared_ptr<Exchange>& ex);
  void drop_client(const std::shared_ptr<Exchange>& ex);  // e.g. stream buffer overflow
  // The handler accepted the WebSocket upgrade of the current request.
  void upgrade(const std::shared_ptr<Exchange>& ex, std::shared_ptr<WebSocketHandler> handler);

 private:
  enum class Phase { kIdle, kRead, kHandler, kUpgrade, kRespond, kStream, kDone, kLinger, kClosed };

  void do_read();
  void on_header(boost::system::error_code ec);
  void read_body();
  void on_read_error(boost::system::error_code ec);
  void on_request();
  void dispatch(HttpRequest request);
  void reply_error(int status, const std::string& message, bool close);
  void record_unreadable_request();
  void begin_record(std::string method, std::string path, std::string request_id);
  void end_record(bool client_gone);
  void do_upgrade();
  void start_watch();
  void on_watch(boost::system::error_code ec, size_t n);
  void queue(std::string bytes, size_t payload);
  void pump();
  void on_written(boost::system::error_code ec);
  void finish_exchange();
  void linger_close();
  void linger_read();
  void close_socket();
  void arm_timer(std::chrono::steady_clock::duration after);
  void disarm_timer();

  const Strand strand_;
  const std::shared_ptr<ServerState> state_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  uint64_t timer_generation_ = 0;
  boost::beast::flat_buffer buffer_;  // bytes read and not yet parsed (bounded)
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string remote_;
  Phase phase_ = Phase::kIdle;
  bool registered_ = false;
  // The current request.
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_ = false;
  bool linger_ = false;  // close by draining what the client still sends
  std::shared_ptr<Exchange> ex_;
  std::shared_ptr<Session> self_;  // keeps the session alive while a handler holds the answer
  // What the access log and metrics get about the current request.
  RequestRecord record_;
  bool record_active_ = false;
  std::chrono::steady_clock::time_point started_;
  // A WebSocket upgrade request, kept for the handshake, and the handler that accepted it.
  std::optional<boost::beast::http::request<boost::beast::http::string_body>> upgrade_request_;
  std::shared_ptr<WebSocketHandler> upgrade_handler_;
  // Reads and writes in flight.
  bool watching_ = false;
  bool writing_ = false;
  bool end_after_flush_ = false;
  bool chunked_ = false;
  std::string pending_;   // queued bytes
  std::string inflight_;  // bytes being written
  size_t pending_payload_ = 0;
  size_t inflight_payload_ = 0;
  std::array<char, 4096> discard_{};
};

// Runs fn(session) on the session's strand if the server still runs and the
// session still exists; returns false (fn dropped) otherwise. Any thread.
template <typename Fn>
bool post_to_session(const std::shared_ptr<ServerState>& state, const std::weak_ptr<Session>& weak,
                     Fn fn) {
  std::shared_lock lock(state->gate());
  if (!state->gate_open()) return false;
  std::shared_ptr<Session> session = weak.lock();
  if (!session) return false;
  const Session::Strand strand = session->strand();
  boost::asio::post(strand, [session = std::move(session), fn = std::move(fn)]() mutable {
    fn(*session);
  });
  return true;
}

}  // namespace impetus::http
