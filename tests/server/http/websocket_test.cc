// WebSockets on the HttpServer end to end: a real server on 127.0.0.1 and
// real clients (Boost.Beast's websocket client, and raw sockets for clients
// that misbehave): handshake and X-Request-Id, echo, pushes from other
// threads, slow clients (dropped, or coalesced), keep-alive pings, size
// limits, shutdown.
#include "server/http/websocket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "server/http/http_server.h"
#include "test_client.h"
#include "ws_client.h"

namespace impetus::http {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::eventually;
using test::start_server;
using test::WsClient;

// What the test handler saw, shared with the test.
struct Seen {
  std::mutex mu;
  std::vector<std::shared_ptr<WebSocket>> sockets;
  std::vector<std::string> messages;
  std::atomic<int> n_open{0};
  std::atomic<int> n_close{0};
  std::vector<RequestRecord> records;

  std::shared_ptr<WebSocket> socket(size_t i) {
    std::lock_guard lock(mu);
    return i < sockets.size() ? sockets[i] : nullptr;
  }
};

// Echoes "echo:..." messages back; records everything.
class EchoHandler : public WebSocketHandler {
 public:
  explicit EchoHandler(std::shared_ptr<Seen> seen) : seen_(std::move(seen)) {}
  void on_open(std::shared_ptr<WebSocket> ws) override {
    ws_ = ws;
    std::lock_guard lock(seen_->mu);
    seen_->sockets.push_back(std::move(ws));
    ++seen_->n_open;
  }
  void on_message(std::string message, bool binary) override {
    if (!binary && message.rfind("echo:", 0) == 0) ws_->send_text(message);
    std::lock_guard lock(seen_->mu);
    seen_->messages.push_back(std::move(message));
  }
  void on_close() override { ++seen_->n_close; }

 private:
  std::shared_ptr<Seen> seen_;
  std::shared_ptr<WebSocket> ws_;
};

struct WsServer {
  std::shared_ptr<Seen> seen = std::make_shared<Seen>();
  std::unique_ptr<HttpServer> server;

  explicit WsServer(HttpServerOptions options = {}) {
    Router router;
    auto seen_ptr = seen;
    router.add("GET", "/ws", [seen_ptr](const HttpRequest& req, std::shared_ptr<Responder> res) {
      if (!req.websocket_upgrade ||
          !res->accept_websocket(std::make_shared<EchoHandler>(seen_ptr))) {
        HttpResponse r;
        r.status = 426;
        r.body = "upgrade required";
        res->respond(std::move(r));
      }
    });
    router.add("GET", "/plain", [](const HttpRequest&, std::shared_ptr<Responder> res) {
      HttpResponse r;
      r.body = "plain";
      res->respond(std::move(r));
    });
    options.on_request_done = [seen_ptr](const RequestRecord& r) {
      std::lock_guard lock(seen_ptr->mu);
      seen_ptr->records.push_back(r);
    };
    server = start_server(std::move(router), std::move(options));
  }
  uint16_t port() const { return server->port(); }
};

// A client that upgrades by hand and then never reads nor writes.
std::unique_ptr<Client> silent_client(uint16_t port) {
  auto c = std::make_unique<Client>(port);
  int small = 4096;
  ::setsockopt(c->socket().native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  c->send_raw(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  return c;
}

TEST(WebSocket, HandshakeEchoAndRequestId) {
  WsServer s;
  ASSERT_TRUE(s.server);
  WsClient client(s.port(), "/ws", {{"X-Request-Id", "client-id-42"}});
  ASSERT_TRUE(client.ok()) << client.error();
  EXPECT_EQ(client.response_header("x-request-id"), "client-id-42");
  EXPECT_EQ(client.response_header("server"), "impetus");
  client.send("echo:hello");
  client.send("not echoed");
  client.send("echo:world");
  EXPECT_EQ(client.read(2s).value_or("<none>"), "echo:hello");
  EXPECT_EQ(client.read(2s).value_or("<none>"), "echo:world");
  ASSERT_TRUE(eventually([&] { return s.seen->messages.size() == 3; }, 2s));
  auto ws = s.seen->socket(0);
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->request_id(), "client-id-42");
  EXPECT_EQ(s.server->n_connections(), 1u);
  client.close();
  EXPECT_TRUE(eventually([&] { return s.seen->n_close == 1; }, 2s));
  EXPECT_TRUE(eventually([&] { return s.server->n_connections() == 0; }, 2s));
  EXPECT_TRUE(ws->closed());
  EXPECT_FALSE(ws->send_text("late"));
  std::lock_guard lock(s.seen->mu);
  ASSERT_EQ(s.seen->records.size(), 1u);
  EXPECT_EQ(s.seen->records[0].status, 101);
  EXPECT_EQ(s.seen->records[0].pattern, "/ws");
  EXPECT_EQ(s.seen->records[0].request_id, "client-id-42");
}

TEST(WebSocket, PlainGetAndUpgradeToAPlainRoute) {
  WsServer s;
  ASSERT_TRUE(s.server);
  Client plain(s.port());
  auto r = plain.request("GET", "/ws");
  EXPECT_EQ(r.status, 426);
  EXPECT_FALSE(r.header("x-request-id").empty());
  // An upgrade request to a route that does not accept it gets its normal answer.
  WsClient client(s.port(), "/plain");
  EXPECT_FALSE(client.ok());
  EXPECT_EQ(s.seen->n_open, 0);
  // The connection that asked for /ws plainly still works (keep-alive).
  EXPECT_EQ(plain.request("GET", "/plain").body, "plain");
}

TEST(WebSocket, PushesFromAnotherThreadArriveInOrder) {
  WsServer s;
  ASSERT_TRUE(s.server);
  WsClient client(s.port());
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(eventually([&] { return s.seen->socket(0) != nullptr; }, 2s));
  auto ws = s.seen->socket(0);
  std::thread pusher([&] {
    for (int i = 0; i < 500; ++i) ws->send_text("m" + std::to_string(i));
  });
  pusher.join();
  for (int i = 0; i < 500; ++i) {
    auto m = client.read(2s);
    ASSERT_TRUE(m) << "message " << i;
    ASSERT_EQ(*m, "m" + std::to_string(i));
  }
}

TEST(WebSocket, SlowClientIsDroppedWithoutStallingThePublisher) {
  HttpServerOptions options;
  options.ws_max_queued_messages = 64;
  WsServer s(options);
  ASSERT_TRUE(s.server);
  auto client = silent_client(s.port());
  ASSERT_TRUE(eventually([&] { return s.seen->socket(0) != nullptr; }, 2s));
  auto ws = s.seen->socket(0);
  const std::string payload(4096, 'x');
  int n_refused = 0;
  std::chrono::nanoseconds slowest{0};
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5000; ++i) {
    const auto a = std::chrono::steady_clock::now();
    if (!ws->send_text(payload)) ++n_refused;
    slowest = std::max(slowest, std::chrono::steady_clock::now() - a);
  }
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, 500ms) << "publishing 5000 messages to a stuck client must not block";
  EXPECT_LT(slowest, 50ms);
  EXPECT_GT(n_refused, 0) << "the queue never overflowed";
  EXPECT_TRUE(ws->closed());
  // Dropped: the connection goes away (close frame or, since it does not read, a hard close).
  EXPECT_TRUE(eventually([&] { return s.server->n_connections() == 0; }, 5s));
  EXPECT_TRUE(eventually([&] { return s.seen->n_close == 1; }, 2s));
}

TEST(WebSocket, CoalescedFramesKeepOnlyTheLatestForASlowClient) {
  HttpServerOptions options;
  options.ws_max_queued_messages = 64;
  WsServer s(options);
  ASSERT_TRUE(s.server);
  WsClient client(s.port(), "/ws", {}, 4096);
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(eventually([&] { return s.seen->socket(0) != nullptr; }, 2s));
  auto ws = s.seen->socket(0);
  const std::string pad(4096, '.');
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(ws->send_text(std::to_string(i) + ":" + pad, "metrics_update")) << i;
  }
  ASSERT_TRUE(ws->send_text("end"));  // not coalesced: comes after the latest metrics frame
  std::vector<int> got;
  for (;;) {
    auto m = client.read(2s);
    ASSERT_TRUE(m) << "after " << got.size() << " messages";
    if (*m == "end") break;
    got.push_back(std::stoi(m->substr(0, m->find(':'))));
  }
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), n - 1) << "the latest frame must arrive";
  EXPECT_LT(got.size(), static_cast<size_t>(n) - 100) << "frames were not coalesced";
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  EXPECT_FALSE(client.closed());
  EXPECT_EQ(s.server->n_connections(), 1u);
}

TEST(WebSocket, KeepAlivePingsDropSilentPeersOnly) {
  HttpServerOptions options;
  options.ws_idle_timeout_s = 1;
  WsServer s(options);
  ASSERT_TRUE(s.server);
  WsClient live(s.port());
  ASSERT_TRUE(live.ok()) << live.error();
  auto silent = silent_client(s.port());
  ASSERT_TRUE(eventually([&] { return s.seen->n_open == 2; }, 2s));
  EXPECT_EQ(s.server->n_connections(), 2u);
  // The live client answers pings while it reads; the silent one is closed.
  EXPECT_FALSE(live.read(2500ms));
  EXPECT_FALSE(live.closed());
  EXPECT_EQ(s.server->n_connections(), 1u);
  live.send("echo:still here");
  EXPECT_EQ(live.read(2s).value_or("<none>"), "echo:still here");
}

TEST(WebSocket, OversizedMessageClosesWith1009) {
  HttpServerOptions options;
  options.ws_max_message_bytes = 1024;
  WsServer s(options);
  ASSERT_TRUE(s.server);
  WsClient client(s.port());
  ASSERT_TRUE(client.ok()) << client.error();
  client.send(std::string(4096, 'a'));
  EXPECT_FALSE(client.read(2s));
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(client.close_code(), 1009);
  EXPECT_TRUE(eventually([&] { return s.server->n_connections() == 0; }, 2s));
}

TEST(WebSocket, StopSendsGoingAway) {
  WsServer s;
  ASSERT_TRUE(s.server);
  WsClient client(s.port());
  ASSERT_TRUE(client.ok()) << client.error();
  ASSERT_TRUE(eventually([&] { return s.seen->n_open == 1; }, 2s));
  const auto t0 = std::chrono::steady_clock::now();
  std::thread stopper([&] { s.server->stop(); });
  EXPECT_FALSE(client.read(3s));
  EXPECT_TRUE(client.closed());
  EXPECT_EQ(client.close_code(), 1001);
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << "stop() waited for the grace period";
  EXPECT_EQ(s.seen->n_close, 1);
}

TEST(WebSocket, HandlesOutliveTheServer) {
  std::shared_ptr<WebSocket> ws;
  {
    HttpServerOptions options;
    options.shutdown_grace_ms = 100;  // the client does not read: it never answers the close frame
    WsServer s(options);
    ASSERT_TRUE(s.server);
    WsClient client(s.port());
    ASSERT_TRUE(client.ok());
    ASSERT_TRUE(eventually([&] { return s.seen->socket(0) != nullptr; }, 2s));
    ws = s.seen->socket(0);
    s.server->stop();
  }
  EXPECT_TRUE(ws->closed());
  EXPECT_FALSE(ws->send_text("into the void"));
  ws->close(kWsCloseNormal, "bye");  // harmless
}

}  // namespace
}  // namespace impetus::http
