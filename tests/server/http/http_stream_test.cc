// Streaming (chunked / SSE) responses, client disconnects and graceful stop.
#include <atomic>
#include <condition_variable>

#include <gtest/gtest.h>

#include "server/http/http_server.h"
#include "test_client.h"

namespace impetus::http {
namespace {

using test::ChunkReader;
using test::Client;
using test::eventually;
using test::start_server;
using test::ThreadBag;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::vector<std::pair<std::string, std::string>> kSseHeaders = {
    {"Cache-Control", "no-cache"}};

std::string event(int i) { return "data: {\"n\":" + std::to_string(i) + "}\n\n"; }

// A producer that writes event(i) every `period` until write() fails or
// `n_events` are out (then closes); records when the failure was seen.
struct Producer {
  std::atomic<int> n_written{0};
  std::atomic<int> n_disconnects{0};
  std::atomic<bool> write_failed{false};
  std::atomic<int64_t> failed_at_ms{0};
  std::atomic<int64_t> disconnect_at_ms{0};
  std::atomic<bool> finished{false};
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

Handler producing_handler(ThreadBag* bag, Producer* p, std::chrono::milliseconds period,
                          int n_events) {
  return [=](const HttpRequest&, std::shared_ptr<Responder> r) {
    std::shared_ptr<StreamWriter> w = r->start_stream(200, "text/event-stream", kSseHeaders);
    w->on_disconnect([p] {
      p->disconnect_at_ms = now_ms();
      ++p->n_disconnects;
    });
    bag->spawn([=] {
      for (int i = 0; i < n_events; ++i) {
        if (!w->write(event(i))) {
          p->failed_at_ms = now_ms();
          p->write_failed = true;
          break;
        }
        ++p->n_written;
        std::this_thread::sleep_for(period);
      }
      w->close();
      p->finished = true;
    });
  };
}

TEST(HttpStream, ChunksArriveIncrementallyThenKeepAliveContinues) {
  ThreadBag bag;
  std::mutex mu;
  std::condition_variable cv;
  int acked = -1;  // the last event the client confirmed
  bool producer_timed_out = false;
  Router router;
  router.add("POST", "/v1/chat/completions", [&](const HttpRequest&, std::shared_ptr<Responder> r) {
    auto w = r->start_stream(200, "text/event-stream", kSseHeaders);
    bag.spawn([&, w] {
      for (int i = 0; i < 5; ++i) {
        // Event i goes out only once the client has read event i-1: a server
        // that buffered the stream would stall here.
        std::unique_lock lock(mu);
        if (!cv.wait_for(lock, 5s, [&] { return acked == i - 1; })) {
          producer_timed_out = true;
          break;
        }
        lock.unlock();
        EXPECT_TRUE(w->write(event(i)));
      }
      w->write("");  // an empty write is a no-op, not the end of the body
      w->close();
      w->close();  // idempotent
      EXPECT_FALSE(w->write("after close"));
    });
  });
  router.add("GET", "/ping", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    HttpResponse res;
    res.body = "pong";
    r->respond(std::move(res));
  });
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  ChunkReader reader(client);
  EXPECT_EQ(reader.status(), 200);
  EXPECT_TRUE(reader.chunked());
  EXPECT_EQ(reader.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(reader.header("Cache-Control"), "no-cache");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.wait_readable(5s)) << "event " << i << " never came";
    const std::optional<std::string> chunk = reader.next();
    ASSERT_TRUE(chunk.has_value()) << reader.error();
    EXPECT_EQ(*chunk, event(i));
    std::lock_guard lock(mu);
    acked = i;
    cv.notify_all();
  }
  EXPECT_FALSE(reader.next().has_value()) << reader.error();
  EXPECT_TRUE(reader.done());
  // The same connection goes on.
  EXPECT_EQ(client.request("GET", "/ping").body, "pong");
  EXPECT_EQ(server->n_connections(), 1u);
  std::lock_guard lock(mu);
  EXPECT_FALSE(producer_timed_out);
}

TEST(HttpStream, ClientDisconnectMidStreamIsSeenWithinASecond) {
  ThreadBag bag;
  Producer p;
  Router router;
  router.add("GET", "/events", producing_handler(&bag, &p, 20ms, 100000));
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  int64_t closed_at = 0;
  {
    Client client(server->port());
    client.send_raw("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ChunkReader reader(client);
    for (int i = 0; i < 3; ++i) {
      const auto chunk = reader.next();
      ASSERT_TRUE(chunk.has_value()) << reader.error();
      EXPECT_EQ(*chunk, event(i));
    }
    closed_at = now_ms();
    client.close();
  }
  ASSERT_TRUE(eventually([&] { return p.n_disconnects.load() > 0; }, 2s));
  EXPECT_LT(p.disconnect_at_ms - closed_at, 1000);
  ASSERT_TRUE(eventually([&] { return p.finished.load(); }, 2s));
  EXPECT_TRUE(p.write_failed);
  EXPECT_LT(p.failed_at_ms - closed_at, 1000);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(p.n_disconnects, 1);
  EXPECT_TRUE(eventually([&] { return server->n_connections() == 0; }, 2s));
}

TEST(HttpStream, DisconnectIsSeenWhileNothingIsBeingWritten) {
  std::mutex mu;
  std::shared_ptr<StreamWriter> writer;
  std::atomic<int64_t> disconnect_at{0};
  std::atomic<int> n_disconnects{0};
  Router router;
  router.add("GET", "/events", [&](const HttpRequest&, std::shared_ptr<Responder> r) {
    auto w = r->start_stream(200, "text/event-stream", kSseHeaders);
    w->on_disconnect([&] {
      disconnect_at = now_ms();
      ++n_disconnects;
    });
    std::lock_guard lock(mu);
    writer = w;  // the "engine" holds it and writes nothing
  });
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  int64_t closed_at = 0;
  {
    Client client(server->port());
    client.send_raw("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ChunkReader reader(client);
    EXPECT_EQ(reader.status(), 200);
    closed_at = now_ms();
    client.close();
  }
  ASSERT_TRUE(eventually([&] { return n_disconnects.load() == 1; }, 2s));
  EXPECT_LT(disconnect_at - closed_at, 1000);
  std::lock_guard lock(mu);
  EXPECT_TRUE(writer->disconnected());
  EXPECT_FALSE(writer->write(event(0)));
  bool late = false;
  writer->on_disconnect([&late] { late = true; });
  EXPECT_FALSE(late);  // only the first callback is kept, and it already ran
  writer->close();
}

TEST(HttpStream, SlowClientIsDroppedInsteadOfBufferingWithoutBound) {
  ThreadBag bag;
  std::atomic<bool> write_failed{false};
  std::atomic<int64_t> n_bytes{0};
  Router router;
  router.add("GET", "/flood", [&](const HttpRequest&, std::shared_ptr<Responder> r) {
    auto w = r->start_stream(200, "application/octet-stream");
    bag.spawn([&, w] {
      const std::string block(64 << 10, 'x');
      const auto deadline = Clock::now() + 10s;
      while (Clock::now() < deadline) {
        if (!w->write(block)) {
          write_failed = true;
          break;
        }
        n_bytes += static_cast<int64_t>(block.size());
      }
      w->close();
    });
  });
  HttpServerOptions options;
  options.max_stream_buffer_bytes = 1 << 20;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n");  // and never read
  EXPECT_TRUE(eventually([&] { return write_failed.load(); }, 10s)) << n_bytes;
}

TEST(HttpStream, Http10StreamIsDelimitedByClose) {
  ThreadBag bag;
  Producer p;
  Router router;
  router.add("GET", "/events", producing_handler(&bag, &p, 1ms, 3));
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw("GET /events HTTP/1.0\r\n\r\n");
  bool timed_out = true;
  const std::string out = client.read_until_close(3s, &timed_out);
  EXPECT_FALSE(timed_out);
  const size_t body = out.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << out;
  EXPECT_EQ(out.find("chunked"), std::string::npos) << out;
  EXPECT_EQ(out.substr(body + 4), event(0) + event(1) + event(2));
}

TEST(HttpStream, CurlReadsServerSentEvents) {
  ThreadBag bag;
  Producer p;
  Router router;
  router.add("POST", "/v1/completions", producing_handler(&bag, &p, 10ms, 4));
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  const std::string out = test::run_command(
      "curl -sN -m 10 -H 'Content-Type: application/json' -d '{}' http://127.0.0.1:" +
      std::to_string(server->port()) + "/v1/completions");
  EXPECT_EQ(out, event(0) + event(1) + event(2) + event(3));
}

TEST(HttpStream, StopClosesAnInFlightStreamAfterTheGracePeriod) {
  ThreadBag bag;
  Producer p;
  Router router;
  router.add("GET", "/events", producing_handler(&bag, &p, 20ms, 100000));
  HttpServerOptions options;
  options.shutdown_grace_ms = 500;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  ChunkReader reader(client);
  ASSERT_TRUE(reader.next().has_value()) << reader.error();
  std::atomic<bool> reader_ended{false};
  std::thread drain([&] {
    while (reader.next().has_value()) {
    }
    reader_ended = true;
  });
  const auto t0 = Clock::now();
  server->stop();
  const auto elapsed = Clock::now() - t0;
  EXPECT_GE(elapsed, 450ms);  // the stream had its grace period ...
  EXPECT_LT(elapsed, 1500ms);  // ... and no more than a second beyond it
  EXPECT_EQ(p.n_disconnects, 1);  // the stream saw a disconnect
  EXPECT_TRUE(eventually([&] { return reader_ended.load(); }, 2s));
  drain.join();
  EXPECT_TRUE(eventually([&] { return p.finished.load(); }, 2s));
  EXPECT_TRUE(p.write_failed);
  const auto t1 = Clock::now();
  server->stop();  // a second stop returns at once
  EXPECT_LT(Clock::now() - t1, 100ms);
  EXPECT_EQ(server->n_connections(), 0u);
}

TEST(HttpStream, StopLetsAnInFlightRequestFinish) {
  ThreadBag bag;
  std::atomic<bool> handler_called{false};
  Router router;
  router.add("GET", "/slow", [&](const HttpRequest&, std::shared_ptr<Responder> r) {
    handler_called = true;
    bag.spawn([r] {
      std::this_thread::sleep_for(300ms);
      HttpResponse res;
      res.body = "finished";
      r->respond(std::move(res));
    });
  });
  router.add("GET", "/ping", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(HttpResponse{});
  });
  HttpServerOptions options;
  options.shutdown_grace_ms = 3000;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  Client idle(server->port());  // an idle keep-alive connection is closed at once
  EXPECT_EQ(idle.request("GET", "/ping").status, 200);
  Client client(server->port());
  client.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return handler_called.load(); }, 2s));
  const auto t0 = Clock::now();
  server->stop();
  EXPECT_LT(Clock::now() - t0, 1500ms);  // returned when the request finished
  const std::string out = client.read_until_close(2s);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0u) << out;
  EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
  EXPECT_NE(out.find("finished"), std::string::npos) << out;
  EXPECT_TRUE(idle.wait_closed(1s));
  // New connections are refused.
  EXPECT_THROW(Client late(server->port()), boost::system::system_error);
}

TEST(HttpStream, WritersAndRespondersOutliveTheServer) {
  std::shared_ptr<StreamWriter> writer;
  std::shared_ptr<Responder> responder;
  std::mutex mu;
  Router router;
  router.add("GET", "/events", [&](const HttpRequest&, std::shared_ptr<Responder> r) {
    std::lock_guard lock(mu);
    writer = r->start_stream(200, "text/event-stream");
  });
  router.add("GET", "/wait", [&](const HttpRequest&, std::shared_ptr<Responder> r) {
    std::lock_guard lock(mu);
    responder = r;
  });
  HttpServerOptions options;
  options.shutdown_grace_ms = 100;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  Client a(server->port());
  a.send_raw("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  Client b(server->port());
  b.send_raw("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return writer && responder;
  }, 2s));
  server.reset();  // destructor stops
  std::lock_guard lock(mu);
  EXPECT_TRUE(writer->disconnected());
  EXPECT_FALSE(writer->write("x"));
  writer->close();
  EXPECT_TRUE(responder->disconnected());
  responder->respond(HttpResponse{});
  writer.reset();
  responder.reset();
}

}  // namespace
}  // namespace impetus::http
