// HttpServer end to end: a real server on 127.0.0.1 and real clients
// (Boost.Beast, raw sockets and /usr/bin/curl).
#include "server/http/http_server.h"

#include <atomic>
#include <condition_variable>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_client.h"

namespace impetus::http {
namespace {

using test::Client;
using test::eventually;
using test::Reply;
using test::start_server;
using test::ThreadBag;
using namespace std::chrono_literals;
using nlohmann::json;

HttpResponse text(std::string body, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

// The error hook the tests install: its body proves the server used it.
HttpServerOptions hooked_options() {
  HttpServerOptions options;
  options.error_response = [](int status, const std::string& message) {
    HttpResponse r;
    r.status = status;
    r.body = json{{"hook", true}, {"status", status}, {"message", message}}.dump();
    return r;
  };
  return options;
}

// Echoes what the handler saw as JSON.
void describe(const HttpRequest& req, std::shared_ptr<Responder> responder) {
  json j = {{"method", req.method}, {"path", req.path},     {"target", req.target},
            {"query", req.query},   {"params", req.path_params}, {"body", req.body},
            {"remote", req.remote}, {"x_custom", req.header("x-custom-header")}};
  HttpResponse r;
  r.body = j.dump();
  responder->respond(std::move(r));
}

Router describing_router() {
  Router router;
  router.add("GET", "/v1/models", describe);
  router.add("GET", "/v1/models/{id}", describe);
  router.add("POST", "/v1/echo", describe);
  router.add("GET", "/files/{path*}", describe);
  router.add("GET", "/ping", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(text("pong"));
  });
  return router;
}

TEST(HttpServer, RoutesWithParamsQueryAndHeaders) {
  auto server = start_server(describing_router(), hooked_options());
  ASSERT_TRUE(server);
  Client client(server->port());

  Reply r = client.request("GET", "/v1/models");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(r.body)["path"], "/v1/models");

  r = client.request("GET", "/v1/models/my%20model?x=1&y=a+b", "",
                     {{"X-Custom-Header", "Some Value"}});
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  EXPECT_EQ(j["params"]["id"], "my model");
  EXPECT_EQ(j["query"]["x"], "1");
  EXPECT_EQ(j["query"]["y"], "a b");
  EXPECT_EQ(j["target"], "/v1/models/my%20model?x=1&y=a+b");
  EXPECT_EQ(j["x_custom"], "Some Value");
  EXPECT_EQ(j["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << j["remote"];

  r = client.request("GET", "/files/a/b/c.txt");
  EXPECT_EQ(json::parse(r.body)["params"]["path"], "a/b/c.txt");

  r = client.request("POST", "/v1/echo", "{\"hello\": 1}");
  EXPECT_EQ(json::parse(r.body)["body"], "{\"hello\": 1}");
}

TEST(HttpServer, UnknownPathIs404AndWrongMethodIs405ThroughTheHook) {
  auto server = start_server(describing_router(), hooked_options());
  ASSERT_TRUE(server);
  Client client(server->port());
  Reply r = client.request("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  json j = json::parse(r.body);
  EXPECT_EQ(j["hook"], true);
  EXPECT_EQ(j["status"], 404);
  EXPECT_TRUE(r.keep_alive);  // a routing error keeps the connection
  r = client.request("DELETE", "/v1/models");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(json::parse(r.body)["status"], 405);
  r = client.request("GET", "/ping");  // same connection still works
  EXPECT_EQ(r.body, "pong");
}

TEST(HttpServer, DefaultErrorBodyIsOpenAiShaped) {
  auto server = start_server(describing_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  const Reply r = client.request("GET", "/nope");
  EXPECT_EQ(r.status, 404);
  const json j = json::parse(r.body);
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_EQ(j["error"]["code"], 404);
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = start_server(describing_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  for (int i = 0; i < 5; ++i) {
    const Reply r = client.request("GET", "/ping");
    EXPECT_EQ(r.body, "pong");
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(server->n_connections(), 1u);
  const Reply last = client.request("GET", "/ping", "", {{"Connection", "close"}});
  EXPECT_EQ(last.body, "pong");
  EXPECT_EQ(last.header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(2s));
  EXPECT_TRUE(eventually([&] { return server->n_connections() == 0; }, 2s));
}

TEST(HttpServer, Http10ClosesAfterTheResponse) {
  auto server = start_server(describing_router());
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw("GET /ping HTTP/1.0\r\n\r\n");
  bool timed_out = true;
  const std::string out = client.read_until_close(2s, &timed_out);
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\n\r\npong"), std::string::npos) << out;
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  Router router;
  ThreadBag bag;
  // The first answer comes late from another thread, so the second request
  // waits in the connection's buffer meanwhile.
  router.add("GET", "/slow", [&bag](const HttpRequest&, std::shared_ptr<Responder> r) {
    bag.spawn([r] {
      std::this_thread::sleep_for(100ms);
      r->respond(text("first"));
    });
  });
  router.add("GET", "/fast", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(text("second"));
  });
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw(
      "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\nConnection: "
      "close\r\n\r\n");
  const std::string out = client.read_until_close(3s);
  const size_t first = out.find("first");
  const size_t second = out.find("second");
  ASSERT_NE(first, std::string::npos) << out;
  ASSERT_NE(second, std::string::npos) << out;
  EXPECT_LT(first, second);
}

TEST(HttpServer, HandlerAnswersFromAnotherThreadWithoutBlockingIo) {
  ThreadBag bag;
  Router router;
  router.add("GET", "/slow", [&bag](const HttpRequest&, std::shared_ptr<Responder> r) {
    bag.spawn([r] {
      std::this_thread::sleep_for(400ms);
      r->respond(text("late"));
    });
  });
  router.add("GET", "/fast", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(text("now"));
  });
  HttpServerOptions options;
  options.n_threads = 1;  // one I/O thread: a blocked wait would stall /fast
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);

  const auto t0 = std::chrono::steady_clock::now();
  Reply slow_reply;
  std::thread slow([&] {
    Client c(server->port());
    slow_reply = c.request("GET", "/slow");
  });
  std::this_thread::sleep_for(50ms);
  Client fast(server->port());
  const auto f0 = std::chrono::steady_clock::now();
  EXPECT_EQ(fast.request("GET", "/fast").body, "now");
  EXPECT_LT(std::chrono::steady_clock::now() - f0, 250ms);
  slow.join();
  EXPECT_EQ(slow_reply.status, 200);
  EXPECT_EQ(slow_reply.body, "late");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms);
}

TEST(HttpServer, UnansweredOrThrowingHandlersGive500) {
  Router router;
  router.add("GET", "/drop", [](const HttpRequest&, std::shared_ptr<Responder>) {});
  router.add("GET", "/throw", [](const HttpRequest&, std::shared_ptr<Responder>) {
    throw std::runtime_error("boom");
  });
  router.add("GET", "/twice", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(text("one"));
    r->respond(text("two"));
    EXPECT_TRUE(r->start_stream(200, "text/plain")->disconnected());
  });
  auto server = start_server(std::move(router), hooked_options());
  ASSERT_TRUE(server);
  Client client(server->port());
  Reply r = client.request("GET", "/drop");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(json::parse(r.body)["hook"], true);
  r = client.request("GET", "/throw");
  EXPECT_EQ(r.status, 500);
  r = client.request("GET", "/twice");
  EXPECT_EQ(r.body, "one");
  EXPECT_EQ(client.request("GET", "/twice").body, "one");  // and the connection is intact
}

TEST(HttpServer, ResponseStatusesHeadersAndHead) {
  Router router;
  router.add("GET", "/teapot", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    HttpResponse res = text("short and stout", 418);
    res.headers = {{"X-Extra", "yes"}, {"Content-Length", "999"}, {"Bad\r\nName", "x"},
                   {"X-Split", "a\r\nInjected: 1"}};
    r->respond(std::move(res));
  });
  router.add("HEAD", "/teapot", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(text("body not sent"));
  });
  router.add("GET", "/empty", [](const HttpRequest&, std::shared_ptr<Responder> r) {
    r->respond(text("ignored", 204));
  });
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  Client client(server->port());
  Reply r = client.request("GET", "/teapot");
  EXPECT_EQ(r.status, 418);
  EXPECT_EQ(r.body, "short and stout");
  EXPECT_EQ(r.header("x-extra"), "yes");
  EXPECT_EQ(r.header("content-length"), "15");
  EXPECT_EQ(r.header("x-split"), "aInjected: 1");
  EXPECT_EQ(r.header("injected"), "");
  r = client.request("HEAD", "/teapot");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-length"), "13");
  EXPECT_EQ(r.body, "");
  r = client.request("GET", "/empty");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(client.request("GET", "/teapot").status, 418);
}

TEST(HttpServer, BodyOverTheLimitGets413) {
  Router router;
  router.add("POST", "/v1/echo", describe);
  HttpServerOptions options = hooked_options();
  options.max_body_bytes = 1024;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  {
    Client client(server->port());
    const Reply ok = client.request("POST", "/v1/echo", std::string(1024, 'a'));
    EXPECT_EQ(ok.status, 200);
    const Reply r = client.request("POST", "/v1/echo", std::string(4096, 'a'));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(json::parse(r.body)["status"], 413);
    EXPECT_TRUE(client.wait_closed(3s));
  }
  {
    // A chunked body passes the limit only while being read.
    Client client(server->port());
    std::string req = "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 5; ++i) req += "100\r\n" + std::string(256, 'b') + "\r\n";
    req += "0\r\n\r\n";
    client.send_raw(req);
    const std::string out = client.read_until_close(3s);
    EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  }
}

TEST(HttpServer, MalformedRequestsGet400) {
  auto server = start_server(describing_router(), hooked_options());
  ASSERT_TRUE(server);
  const std::vector<std::string> bad = {
      "THIS IS NOT HTTP\r\n\r\n",
      "GET /ping HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      "GET /ping HTTP/9.9\r\nHost: x\r\n\r\n",
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST /v1/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      // A bad target leaves the framing intact: the connection would stay open.
      "GET /a%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /ping?q=%0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
  };
  for (const std::string& request : bad) {
    Client client(server->port());
    client.send_raw(request);
    const std::string out = client.read_until_close(3s);
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << "request: " << request << "\nreply: " << out;
  }
  // After a bad target the connection goes on.
  Client client(server->port());
  EXPECT_EQ(client.request("GET", "/bad%").status, 400);
  EXPECT_EQ(client.request("GET", "/ping").body, "pong");
}

TEST(HttpServer, OversizedHeaderGets431) {
  HttpServerOptions options = hooked_options();
  options.max_header_bytes = 2048;
  auto server = start_server(describing_router(), options);
  ASSERT_TRUE(server);
  Client client(server->port());
  client.send_raw("GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'z') +
                  "\r\n\r\n");
  const std::string out = client.read_until_close(3s);
  EXPECT_EQ(out.rfind("HTTP/1.1 431", 0), 0u) << out.substr(0, 200);
}

TEST(HttpServer, GarbageInputNeverBreaksTheServer) {
  auto server = start_server(describing_router());
  ASSERT_TRUE(server);
  std::mt19937 rng(1234);
  const std::string valid =
      "POST /v1/echo?x=%41 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  for (int i = 0; i < 150; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      const size_t n = 1 + rng() % 3000;
      for (size_t k = 0; k < n; ++k) bytes.push_back(static_cast<char>(rng() & 0xff));
    } else {
      bytes = valid;  // a valid request with a few bytes flipped, cut or duplicated
      for (int m = 0; m < 3; ++m) {
        const size_t pos = rng() % bytes.size();
        switch (rng() % 3) {
          case 0: bytes[pos] = static_cast<char>(rng() & 0xff); break;
          case 1: bytes.resize(pos + 1); break;
          default: bytes.insert(pos, bytes.substr(pos, rng() % 20)); break;
        }
      }
    }
    Client client(server->port());
    client.send_raw(bytes);
    if (i % 3 == 0) client.read_until_close(100ms);  // else hang up at once
  }
  Client client(server->port());
  EXPECT_EQ(client.request("GET", "/ping").body, "pong");
}

TEST(HttpServer, IdleConnectionsAreClosed) {
  HttpServerOptions options;
  options.idle_timeout_s = 1;
  auto server = start_server(describing_router(), options);
  ASSERT_TRUE(server);
  Client client(server->port());
  EXPECT_EQ(client.request("GET", "/ping").body, "pong");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(client.wait_closed(4s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 800ms);
  EXPECT_TRUE(eventually([&] { return server->n_connections() == 0; }, 2s));
}

TEST(HttpServer, SixtyFourConcurrentClients) {
  constexpr int kClients = 64;
  constexpr int kRequests = 20;
  ThreadBag bag;
  Router router;
  // Every other request is answered from another thread.
  router.add("POST", "/v1/echo", [&bag](const HttpRequest& req, std::shared_ptr<Responder> r) {
    if (req.body.back() % 2 == 0) {
      r->respond(text(req.body));
    } else {
      bag.spawn([r, body = req.body] { r->respond(text(body)); });
    }
  });
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  std::atomic<int> connected{0};
  std::atomic<int> n_ok{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server->port());
      ++connected;
      while (!go) std::this_thread::sleep_for(1ms);
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = "client " + std::to_string(c) + " request " + std::to_string(i);
        const Reply r = client.request("POST", "/v1/echo", body);
        if (r.status == 200 && r.body == body) ++n_ok;
      }
    });
  }
  ASSERT_TRUE(eventually([&] { return connected == kClients; }, 10s));
  EXPECT_TRUE(eventually([&] { return server->n_connections() == kClients; }, 5s))
      << server->n_connections();
  go = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(n_ok, kClients * kRequests);
  EXPECT_TRUE(eventually([&] { return server->n_connections() == 0; }, 5s));
}

TEST(HttpServer, WaitingClientThatGivesUpIsNoticed) {
  std::mutex mu;
  std::shared_ptr<Responder> held;
  std::atomic<int> n_callbacks{0};
  Router router;
  router.add("POST", "/v1/chat/completions",
             [&](const HttpRequest&, std::shared_ptr<Responder> r) {
               r->on_disconnect([&n_callbacks] { ++n_callbacks; });
               std::lock_guard lock(mu);
               held = std::move(r);
             });
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  {
    Client client(server->port());
    client.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    ASSERT_TRUE(eventually([&] { std::lock_guard lock(mu); return held != nullptr; }, 2s));
    EXPECT_FALSE(held->disconnected());
    client.close();
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return held->disconnected(); }, 1s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_TRUE(eventually([&] { return n_callbacks == 1; }, 1s));
  held->respond(text("too late"));  // harmless
  bool late_called = false;
  held->on_disconnect([&] { late_called = true; });  // second callback: ignored
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(n_callbacks, 1);
  EXPECT_FALSE(late_called);
  EXPECT_TRUE(eventually([&] { return server->n_connections() == 0; }, 2s));
}

TEST(HttpServer, ExpectContinueAndCurl) {
  Router router = describing_router();
  HttpServerOptions options = hooked_options();
  options.max_body_bytes = 64 << 10;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  // GET with path params.
  std::string out = test::run_command("curl -s -m 10 '" + base + "/v1/models/abc%20d?k=v'");
  json j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["params"]["id"], "abc d");
  EXPECT_EQ(j["query"]["k"], "v");
  // The path is decoded before routing: an encoded '/' separates segments,
  // so ids that may hold one ("org/model") want a "{name*}" route.
  out = test::run_command("curl -s -m 10 '" + base + "/files/org%2Fmodel'");
  j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["params"]["path"], "org/model");
  out = test::run_command("curl -s -m 10 -o /dev/null -w '%{http_code}' '" + base +
                          "/v1/models/org%2Fmodel'");
  EXPECT_EQ(out, "404");
  // A 32 KiB POST (curl asks "Expect: 100-continue" for bodies this big).
  out = test::run_command("head -c 32768 /dev/zero | tr '\\0' 'q' | curl -s -m 10 "
                          "-H 'Expect: 100-continue' --data-binary @- " + base + "/v1/echo");
  j = json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out.substr(0, 300);
  EXPECT_EQ(j["body"], std::string(32768, 'q'));
  // Over the limit: 413, without curl sending the body.
  out = test::run_command("head -c 100000 /dev/zero | curl -s -m 10 -o /dev/null "
                          "-w '%{http_code}' --data-binary @- " + base + "/v1/echo");
  EXPECT_EQ(out, "413");
  out = test::run_command("curl -s -m 10 -o /dev/null -w '%{http_code}' -X DELETE " + base +
                          "/ping");
  EXPECT_EQ(out, "405");
}

TEST(HttpServer, StartFailsOnAPortInUse) {
  auto first = start_server(describing_router());
  ASSERT_TRUE(first);
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = first->port();
  HttpServer second(options, describing_router());
  const Status status = second.start();
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.to_string();
  second.stop();  // never started: a no-op
}

}  // namespace
}  // namespace impetus::http
