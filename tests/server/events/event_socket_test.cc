// The /ws message protocol (EventSocket) over a fake socket: hello,
// subscribe/unsubscribe (one room or several), errors that keep the
// connection, and the close after repeated garbage.
#include "server/events/event_socket.h"

#include <gtest/gtest.h>

#include "server/events/fake_socket.h"

namespace impetus {
namespace {

using nlohmann::json;
using testing::FakeSocket;

struct Conn {
  EventHub hub;
  std::shared_ptr<FakeSocket> socket = std::make_shared<FakeSocket>();
  std::shared_ptr<EventSocket> handler = std::make_shared<EventSocket>(hub);
  Conn() { handler->on_open(socket); }
  json last() const { return socket->messages().back(); }
  void send(const std::string& text) { handler->on_message(text, false); }
};

TEST(EventSocket, HelloOnOpen) {
  Conn c;
  const auto msgs = c.socket->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]["type"], "hello");
  EXPECT_EQ(msgs[0]["schema_version"], 1);
  EXPECT_EQ(msgs[0]["data"]["schema_version"], 1);
  EXPECT_EQ(msgs[0]["data"]["rooms"].size(), 6u);
  EXPECT_EQ(msgs[0]["data"]["request_id"], "req_fake");
  EXPECT_EQ(c.hub.stats().n_clients, 1u);
  c.handler->on_close();
  EXPECT_EQ(c.hub.stats().n_clients, 0u);
}

TEST(EventSocket, SubscribeUnsubscribeAndEvents) {
  Conn c;
  c.send(R"({"type":"subscribe","data":{"room":"metrics"}})");
  EXPECT_EQ(c.last()["type"], "subscribed");
  EXPECT_EQ(c.last()["data"]["room"], "metrics");
  c.send(R"({"type":"subscribe","data":{"rooms":["models","downloads:t1"]}})");
  EXPECT_EQ(c.hub.publish("downloads:t1", "download_progress", {{"pct", 50}}), 1u);
  EXPECT_EQ(c.last()["type"], "download_progress");
  EXPECT_EQ(c.last()["data"]["pct"], 50);
  c.send(R"({"type":"unsubscribe","data":{"room":"metrics"}})");
  EXPECT_EQ(c.last()["type"], "unsubscribed");
  EXPECT_EQ(c.hub.publish("metrics", "metrics_update", json::object()), 0u);
  c.send(R"({"type":"unsubscribe","data":{"room":"metrics"}})");
  EXPECT_EQ(c.last()["type"], "error");
  EXPECT_EQ(c.last()["data"]["code"], "not_subscribed");
  c.send(R"({"type":"ping","data":{"n":7}})");
  EXPECT_EQ(c.last()["type"], "pong");
  EXPECT_EQ(c.last()["data"]["n"], 7);
}

TEST(EventSocket, BadMessagesGetErrorsAndKeepTheConnection) {
  Conn c;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1,2,3])", "invalid_message"},
      {R"({"data":{}})", "invalid_message"},
      {R"({"type":7})", "invalid_message"},
      {R"({"type":"dance"})", "unknown_type"},
      {R"({"type":"subscribe"})", "invalid_message"},
      {R"({"type":"subscribe","data":{"room":5}})", "invalid_message"},
      {R"({"type":"subscribe","data":{"rooms":["metrics",5]}})", "invalid_message"},
      {R"({"type":"subscribe","data":{"room":"nope"}})", "invalid_room"},
      {R"({"type":"subscribe","data":{"room":"downloads:"}})", "invalid_room"},
  };
  for (const auto& [message, code] : cases) {
    c.send(message);
    EXPECT_EQ(c.last()["type"], "error") << message;
    EXPECT_EQ(c.last()["data"]["code"], code) << message;
    EXPECT_FALSE(c.last()["data"]["message"].get<std::string>().empty());
  }
  // Many JSON errors in a row never close the connection.
  for (int i = 0; i < 20; ++i) c.send(R"({"type":"dance"})");
  EXPECT_FALSE(c.socket->closed());
  c.send(R"({"type":"subscribe","data":{"room":"logs"}})");
  EXPECT_EQ(c.last()["type"], "subscribed");
}

TEST(EventSocket, RepeatedGarbageCloses) {
  Conn c;
  for (int i = 0; i < EventSocket::kMaxMalformed - 1; ++i) {
    c.send("not json at all");
    EXPECT_EQ(c.last()["data"]["code"], "invalid_json");
  }
  c.send(R"({"type":"ping"})");  // valid JSON resets the count
  for (int i = 0; i < EventSocket::kMaxMalformed - 1; ++i) c.handler->on_message("\x01\x02", true);
  EXPECT_FALSE(c.socket->closed());
  c.send("{oops");
  EXPECT_TRUE(c.socket->closed());
  EXPECT_EQ(c.socket->close_code(), http::kWsClosePolicy);
}

}  // namespace
}  // namespace impetus
