// EventSocket: the WebSocket protocol of GET /ws on top of an EventHub. One
// per connection. On open it registers the client and sends "hello"
// (schema_version, the rooms); then it answers the client's messages:
//
//   {"type":"subscribe","data":{"room":"metrics"}}        -> "subscribed"
//   {"type":"subscribe","data":{"rooms":["models","logs"]}}  (one ack each)
//   {"type":"unsubscribe","data":{"room":"metrics"}}      -> "unsubscribed"
//   {"type":"ping","data":...}                            -> "pong" (same data)
//
// Anything else gets an "error" event ({"code","message"}) and the
// connection stays open -- except that kMaxMalformed messages in a row that
// are not JSON at all (or are binary) close it with 1008. See docs/events.md.
#pragma once

#include <memory>
#include <string>

#include "server/events/event_hub.h"
#include "server/http/websocket.h"

namespace impetus {

class EventSocket : public http::WebSocketHandler {
 public:
  static constexpr int kMaxMalformed = 5;

  // The hub must outlive the connection (the server that owns both stops first).
  explicit EventSocket(EventHub& hub) : hub_(hub) {}

  void on_open(std::shared_ptr<http::WebSocket> ws) override;
  void on_message(std::string message, bool binary) override;
  void on_close() override;

 private:
  void error(const std::string& code, const std::string& message, const std::string& room = "");
  void malformed(const std::string& message);
  void subscription(bool subscribe, const nlohmann::json& data);

  EventHub& hub_;
  std::shared_ptr<http::WebSocket> ws_;
  EventHub::ClientId id_ = 0;
  int n_malformed_ = 0;  // in a row
};

}  // namespace impetus
