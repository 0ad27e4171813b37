#include "server/http/ws_session.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <exception>
#include <utility>

#include "core/log.h"

namespace impetus::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using boost::system::error_code;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);  // opening and closing handshakes
constexpr auto kDropGrace = std::chrono::seconds(1);  // overflowed client: time to deliver 1008

// The handle application code sends through; see websocket.h.
class WsHandle final : public WebSocket {
 public:
  WsHandle(std::shared_ptr<ServerState> state, std::weak_ptr<WsSession> session,
           std::shared_ptr<WsOutbox> outbox, std::string request_id, std::string remote)
      : state_(std::move(state)),
        session_(std::move(session)),
        outbox_(std::move(outbox)),
        request_id_(std::move(request_id)),
        remote_(std::move(remote)) {}

  bool send(std::shared_ptr<const std::string> text, std::string_view coalesce_key) override {
    switch (outbox_->push(std::move(text), coalesce_key)) {
      case WsOutbox::Push::kQueued:
        return true;
      case WsOutbox::Push::kQueuedWake:
        return wake();
      case WsOutbox::Push::kRefused:
        return false;
      case WsOutbox::Push::kOverflow:
        wake();
        return false;
    }
    return false;
  }

  void close(uint16_t code, std::string reason) override {
    if (reason.size() > 120) reason.resize(120);  // a close frame's reason fits in 123 bytes
    if (outbox_->close(code, std::move(reason), false)) wake();
  }

  bool closed() const override { return outbox_->closing(); }
  const std::string& request_id() const override { return request_id_; }
  const std::string& remote() const override { return remote_; }

 private:
  // Posts wake() to the connection's strand while the server runs; false
  // (and the outbox ended) when the connection or the server has gone.
  bool wake() {
    {
      std::shared_lock lock(state_->gate());
      if (state_->gate_open()) {
        if (std::shared_ptr<WsSession> session = session_.lock()) {
          const Strand strand = session->strand();
          net::post(strand, [session = std::move(session)] { session->wake(); });
          return true;
        }
      }
    }
    outbox_->mark_ended();
    return false;
  }

  const std::shared_ptr<ServerState> state_;
  const std::weak_ptr<WsSession> session_;
  const std::shared_ptr<WsOutbox> outbox_;
  const std::string request_id_;
  const std::string remote_;
};

template <typename Fn>
void call_handler(const std::string& request_id, const char* what, Fn fn) {
  LogRequestScope scope(request_id);
  try {
    fn();
  } catch (const std::exception& e) {
    IMP_LOG(kError, "ws: handler ", what, " threw: ", e.what());
  } catch (...) {
    IMP_LOG(kError, "ws: handler ", what, " threw");
  }
}

}  // namespace

WsSession::WsSession(net::ip::tcp::socket socket, std::shared_ptr<ServerState> state, Strand strand,
                     std::shared_ptr<WebSocketHandler> handler, RequestRecord record,
                     std::chrono::steady_clock::time_point started)
    : strand_(std::move(strand)),
      state_(std::move(state)),
      ws_(std::move(socket)),
      drop_timer_(strand_),
      handler_(std::move(handler)),
      outbox_(std::make_shared<WsOutbox>(state_->options().ws_max_queued_messages,
                                         state_->options().ws_max_queued_bytes)),
      record_(std::move(record)),
      started_(started) {}

WsSession::~WsSession() {
  outbox_->mark_ended();
  if (registered_) state_->remove_session(this);
  // Only when the server stopped with this connection's handlers still queued.
  if (opened_) call_handler(record_.request_id, "on_close", [&] { handler_->on_close(); });
}

void WsSession::start(UpgradeRequest request) {
  state_->add_session(shared_from_this());
  registered_ = true;
  handle_ = std::make_shared<WsHandle>(state_, weak_from_this(), outbox_, record_.request_id,
                                       record_.remote);
  request_ = std::move(request);
  const HttpServerOptions& options = state_->options();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = kHandshakeTimeout;
  timeouts.idle_timeout = std::chrono::seconds(std::max(1, options.ws_idle_timeout_s));
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(options.ws_max_message_bytes);
  ws_.set_option(
      websocket::stream_base::decorator([id = record_.request_id](websocket::response_type& res) {
        res.set(beast::http::field::server, "impetus");
        res.set("X-Request-Id", id);
      }));
  ws_.async_accept(request_, [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
}

void WsSession::on_accept(error_code ec) {
  request_ = {};
  record_.status = ec ? 400 : 101;
  record_.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state_->request_done(record_);
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    teardown();
    return;
  }
  phase_ = Phase::kOpen;
  opened_ = true;
  call_handler(record_.request_id, "on_open", [&] { handler_->on_open(handle_); });
  if (phase_ != Phase::kOpen) return;
  do_read();
  pump();
}

void WsSession::do_read() {
  ws_.async_read(read_buffer_,
                 [self = shared_from_this()](error_code ec, size_t) { self->on_read(ec); });
}

void WsSession::on_read(error_code ec) {
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    teardown();  // closed by the peer, timed out, too big (Beast sent 1009), reset, ...
    return;
  }
  std::string message = beast::buffers_to_string(read_buffer_.data());
  read_buffer_.consume(read_buffer_.size());
  const bool binary = ws_.got_binary();
  if (phase_ == Phase::kOpen) {
    call_handler(record_.request_id, "on_message",
                 [&] { handler_->on_message(std::move(message), binary); });
  }
  if (phase_ == Phase::kOpen || phase_ == Phase::kClosing) do_read();
}

void WsSession::wake() {
  if (phase_ == Phase::kClosed) return;
  if (outbox_->overflowed()) arm_drop_timer();
  pump();
}

void WsSession::pump() {
  if (phase_ != Phase::kOpen || writing_) return;
  std::optional<WsOutbox::Frame> frame = outbox_->pop();
  if (!frame) {
    if (std::optional<WsOutbox::CloseRequest> close = outbox_->pending_close()) {
      start_close(close->code, close->reason);
    }
    return;
  }
  inflight_ = std::move(frame->text);
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(*inflight_),
                  [self = shared_from_this()](error_code ec, size_t) { self->on_write(ec); });
}

void WsSession::on_write(error_code ec) {
  writing_ = false;
  inflight_.reset();
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    teardown();
    return;
  }
  pump();
}

void WsSession::start_close(uint16_t code, const std::string& reason) {
  phase_ = Phase::kClosing;
  if (code == kWsClosePolicy) {
    IMP_LOG_REQ(kWarn, record_.request_id, "ws: closing ", record_.remote, " with ", code, ": ",
                reason);
  }
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                  [self = shared_from_this()](error_code ec) {
                    if (ec) self->teardown();
                    // Otherwise the read loop ends when the peer's close frame arrives.
                  });
}

void WsSession::arm_drop_timer() {
  if (drop_timer_armed_) return;
  drop_timer_armed_ = true;
  drop_timer_.expires_after(kDropGrace);
  drop_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec) return;
    if (self->phase_ != Phase::kClosed) {
      IMP_LOG_REQ(kWarn, self->record_.request_id, "ws: dropping ", self->record_.remote,
                  ": send queue overflow");
    }
    self->teardown();
  });
}

void WsSession::server_stopping() {
  if (phase_ == Phase::kHandshake) {
    teardown();
    return;
  }
  if (phase_ != Phase::kOpen) return;
  outbox_->close(kWsCloseGoingAway, "server shutting down", true);
  pump();
}

void WsSession::force_close() { teardown(); }

void WsSession::teardown() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  outbox_->mark_ended();
  drop_timer_.cancel();
  error_code ignored;
  beast::get_lowest_layer(ws_).close(ignored);
  if (registered_) {
    registered_ = false;
    state_->remove_session(this);
  }
  if (opened_) {
    opened_ = false;
    call_handler(record_.request_id, "on_close", [&] { handler_->on_close(); });
  }
}

}  // namespace impetus::http
