// The WebSocket side of the transport-neutral HTTP API. A handler turns a
// request into a WebSocket with Responder::accept_websocket(handler) (the
// request must be an upgrade: HttpRequest::websocket_upgrade); the server
// then completes the handshake on the same connection and talks to the
// application through two objects:
//
//   WebSocketHandler  what the application implements: on_open (with the
//                     WebSocket to send through), on_message, on_close.
//                     Called on the connection's I/O strand, one at a time;
//                     they must not block.
//   WebSocket         the thread-safe handle for sending. send() never
//                     blocks on the network: messages wait in a bounded
//                     per-connection queue. A message with a coalesce key
//                     replaces a queued, not yet written message with the
//                     same key (so a slow client gets only the latest
//                     metrics frame) and does not count against the limits;
//                     other messages past the limits (max_queued_messages /
//                     max_queued_bytes of HttpServerOptions) drop the client
//                     with close code 1008. The handle may outlive the
//                     connection and the server: it then reports closed().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace impetus::http {

// Close codes used by the server (RFC 6455, 7.4.1).
inline constexpr uint16_t kWsCloseNormal = 1000;
inline constexpr uint16_t kWsCloseGoingAway = 1001;    // server shutting down
inline constexpr uint16_t kWsCloseUnsupported = 1003;  // binary frames
inline constexpr uint16_t kWsClosePolicy = 1008;       // send queue overflow, abuse
inline constexpr uint16_t kWsCloseTooBig = 1009;       // message over the size limit

class WebSocket {
 public:
  virtual ~WebSocket() = default;
  // Queues a text message (see above). Returns false, dropping it, once the
  // connection is closed or closing, or when this message overflowed the queue.
  virtual bool send(std::shared_ptr<const std::string> text,
                    std::string_view coalesce_key = {}) = 0;
  bool send_text(std::string text, std::string_view coalesce_key = {}) {
    return send(std::make_shared<const std::string>(std::move(text)), coalesce_key);
  }
  // Sends a close frame after what is queued (best effort) and ends the
  // connection. Idempotent.
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual bool closed() const = 0;
  // The X-Request-Id of the upgrade request and the peer ("127.0.0.1:5555").
  virtual const std::string& request_id() const = 0;
  virtual const std::string& remote() const = 0;
};

class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  // The handshake completed; `ws` is the handle to send through.
  virtual void on_open(std::shared_ptr<WebSocket> ws) = 0;
  // A complete message (text, or binary when `binary`).
  virtual void on_message(std::string message, bool binary) = 0;
  // The connection ended (any reason). Called once, after on_open.
  virtual void on_close() = 0;
};

}  // namespace impetus::http
