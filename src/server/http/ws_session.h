// WsSession: one WebSocket connection, made from an HTTP Session whose
// handler accepted the upgrade. It owns the socket (Boost.Beast websocket
// stream), completes the handshake (the 101 response carries X-Request-Id),
// reads messages and hands them to the WebSocketHandler, and writes what the
// handle's WsOutbox holds, one message at a time. Keep-alive is Beast's:
// a ping after half of ws_idle_timeout_s of silence, the connection closed
// after all of it. No thread per connection: everything runs on the
// connection's strand of the server's io_context.
//
// A client dropped for overflowing its queue gets a 1008 close frame if its
// current write completes within a second; otherwise the socket is closed.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "server/http/connection.h"
#include "server/http/http_server.h"
#include "server/http/server_state.h"
#include "server/http/websocket.h"
#include "server/http/ws_outbox.h"

namespace impetus::http {

class WsSession : public Connection, public std::enable_shared_from_this<WsSession> {
 public:
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

  // `record` describes the upgrade request (status and duration are filled
  // in when the handshake ends); `started` is when that request was read.
  WsSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state, Strand strand,
            std::shared_ptr<WebSocketHandler> handler, RequestRecord record,
            std::chrono::steady_clock::time_point started);
  ~WsSession() override;
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  // On the strand: registers with the server and answers the handshake.
  void start(UpgradeRequest request);

  void server_stopping() override;
  void force_close() override;
  const Strand& strand() const override { return strand_; }

  // On the strand: the outbox has something (messages, a close, an overflow).
  void wake();

 private:
  enum class Phase { kHandshake, kOpen, kClosing, kClosed };

  void on_accept(boost::system::error_code ec);
  void do_read();
  void on_read(boost::system::error_code ec);
  void pump();
  void on_write(boost::system::error_code ec);
  void start_close(uint16_t code, const std::string& reason);
  void arm_drop_timer();
  void teardown();

  const Strand strand_;
  const std::shared_ptr<ServerState> state_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::asio::steady_timer drop_timer_;
  const std::shared_ptr<WebSocketHandler> handler_;
  const std::shared_ptr<WsOutbox> outbox_;
  std::shared_ptr<WebSocket> handle_;
  RequestRecord record_;
  const std::chrono::steady_clock::time_point started_;
  UpgradeRequest request_;  // kept until the handshake ends
  boost::beast::flat_buffer read_buffer_;
  std::shared_ptr<const std::string> inflight_;  // the message being written
  Phase phase_ = Phase::kHandshake;
  bool registered_ = false;
  bool opened_ = false;  // on_open ran (so on_close is owed)
  bool writing_ = false;
  bool drop_timer_armed_ = false;
};

}  // namespace impetus::http
