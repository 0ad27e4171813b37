// Request ids and the access log: every response carries X-Request-Id (the
// client's when sane, else a generated one), handlers see it, log lines about
// the request carry it, and each finished request yields one RequestRecord
// (route pattern, status, duration) and one access-log line.
#include "server/http/request_id.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "core/log.h"
#include "server/http/http_server.h"
#include "test_client.h"

namespace impetus::http {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::Client;
using test::eventually;
using test::start_server;

TEST(RequestId, SanityRules) {
  EXPECT_TRUE(is_sane_request_id("abc-123_XYZ.~!"));
  EXPECT_TRUE(is_sane_request_id(std::string(128, 'a')));
  EXPECT_FALSE(is_sane_request_id(""));
  EXPECT_FALSE(is_sane_request_id(std::string(129, 'a')));
  EXPECT_FALSE(is_sane_request_id("has space"));
  EXPECT_FALSE(is_sane_request_id("tab\there"));
  EXPECT_FALSE(is_sane_request_id("new\nline"));
  EXPECT_FALSE(is_sane_request_id("caf\xc3\xa9"));
  EXPECT_FALSE(is_sane_request_id(std::string("nul\0x", 5)));
}

TEST(RequestId, GeneratedIdsHaveTheFormatAndDiffer) {
  const std::regex format("req_[0-9a-f]{24}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_request_id();
    ASSERT_TRUE(std::regex_match(id, format)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(request_id_from_header("mine"), "mine");
  EXPECT_TRUE(std::regex_match(request_id_from_header("not mine"), format));
}

struct Recorder {
  std::mutex mu;
  std::vector<RequestRecord> records;
  size_t size() {
    std::lock_guard lock(mu);
    return records.size();
  }
};

// A server whose handlers echo the request id they saw and log a line.
std::unique_ptr<HttpServer> id_server(const std::shared_ptr<Recorder>& rec,
                                      HttpServerOptions options = {}) {
  Router router;
  router.add("GET", "/id", [](const HttpRequest& req, std::shared_ptr<Responder> res) {
    IMP_LOG(kInfo, "handler saw the request");
    HttpResponse r;
    r.body = req.request_id;
    r.headers.emplace_back("X-Request-Id", "forged-by-handler");  // the server's id wins
    res->respond(std::move(r));
  });
  router.add("GET", "/items/{id}", [](const HttpRequest&, std::shared_ptr<Responder> res) {
    res->respond(HttpResponse{});
  });
  router.add("GET", "/stream", [](const HttpRequest&, std::shared_ptr<Responder> res) {
    auto w = res->start_stream(200, "text/event-stream");
    w->write("data: 1\n\n");
    w->close();
  });
  options.on_request_done = [rec](const RequestRecord& r) {
    std::lock_guard lock(rec->mu);
    rec->records.push_back(r);
  };
  options.max_header_bytes = 4096;
  return start_server(std::move(router), std::move(options));
}

TEST(RequestId, EchoedGeneratedAndSeenByHandlers) {
  auto rec = std::make_shared<Recorder>();
  auto server = id_server(rec);
  ASSERT_TRUE(server);
  Client c(server->port());
  auto r = c.request("GET", "/id", "", {{"X-Request-Id", "trace-7f3a"}});
  EXPECT_EQ(r.header("x-request-id"), "trace-7f3a");
  EXPECT_EQ(r.body, "trace-7f3a");

  const std::regex format("req_[0-9a-f]{24}");
  r = c.request("GET", "/id");
  EXPECT_TRUE(std::regex_match(r.header("x-request-id"), format)) << r.header("x-request-id");
  EXPECT_EQ(r.body, r.header("x-request-id"));
  const std::string first = r.body;
  r = c.request("GET", "/id", "", {{"X-Request-Id", std::string(200, 'x')}});
  EXPECT_TRUE(std::regex_match(r.header("x-request-id"), format));
  EXPECT_NE(r.header("x-request-id"), first);
  r = c.request("GET", "/id", "", {{"X-Request-Id", "two words"}});
  EXPECT_TRUE(std::regex_match(r.header("x-request-id"), format));

  // Errors the server answers itself, and streams, carry one too.
  r = c.request("GET", "/nowhere", "", {{"X-Request-Id", "lost-1"}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("x-request-id"), "lost-1");
  r = c.request("POST", "/id", "x", {{"X-Request-Id", "wrong-method"}});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("x-request-id"), "wrong-method");
  c.send_raw("GET /stream HTTP/1.1\r\nHost: x\r\nX-Request-Id: s-1\r\n\r\n");
  test::ChunkReader stream(c);
  EXPECT_EQ(stream.header("X-Request-Id"), "s-1");
  while (stream.next()) {
  }
  Client big(server->port());
  big.send_raw("GET /id HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'b') + "\r\n\r\n");
  const std::string raw = big.read_until_close(2s);
  EXPECT_NE(raw.find("431"), std::string::npos);
  EXPECT_NE(raw.find("X-Request-Id: req_"), std::string::npos);
}

TEST(RequestId, RecordsCarryRoutePatternStatusAndDuration) {
  auto rec = std::make_shared<Recorder>();
  auto server = id_server(rec);
  ASSERT_TRUE(server);
  {
    Client c(server->port());
    c.request("GET", "/items/42", "", {{"X-Request-Id", "r1"}});
    c.request("GET", "/missing", "", {{"X-Request-Id", "r2"}});
    c.request("GET", "/items/42?x=1", "", {{"X-Request-Id", "r3"}});
  }
  ASSERT_TRUE(eventually([&] { return rec->size() == 3; }, 2s));
  std::lock_guard lock(rec->mu);
  const auto& r = rec->records;
  EXPECT_EQ(r[0].method, "GET");
  EXPECT_EQ(r[0].path, "/items/42");
  EXPECT_EQ(r[0].pattern, "/items/{id}");
  EXPECT_EQ(r[0].status, 200);
  EXPECT_EQ(r[0].request_id, "r1");
  EXPECT_GT(r[0].duration_s, 0.0);
  EXPECT_LT(r[0].duration_s, 2.0);
  EXPECT_FALSE(r[0].client_gone);
  EXPECT_EQ(r[1].pattern, "unmatched");
  EXPECT_EQ(r[1].status, 404);
  EXPECT_EQ(r[2].path, "/items/42");
  EXPECT_EQ(r[2].pattern, "/items/{id}");
}

TEST(RequestId, ClientGoneBeforeTheAnswerIs499) {
  auto rec = std::make_shared<Recorder>();
  Router router;
  std::shared_ptr<Responder> parked;
  std::mutex mu;
  router.add("GET", "/slow", [&](const HttpRequest&, std::shared_ptr<Responder> res) {
    std::lock_guard lock(mu);
    parked = std::move(res);  // never answered while the client is there
  });
  HttpServerOptions options;
  options.on_request_done = [rec](const RequestRecord& r) {
    std::lock_guard lock(rec->mu);
    rec->records.push_back(r);
  };
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  {
    Client c(server->port());
    c.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-1\r\n\r\n");
    ASSERT_TRUE(eventually(
        [&] {
          std::lock_guard lock(mu);
          return parked != nullptr;
        },
        2s));
  }
  ASSERT_TRUE(eventually([&] { return rec->size() == 1; }, 2s));
  {
    std::lock_guard lock(rec->mu);
    EXPECT_EQ(rec->records[0].status, 499);
    EXPECT_TRUE(rec->records[0].client_gone);
    EXPECT_EQ(rec->records[0].pattern, "/slow");
    EXPECT_EQ(rec->records[0].request_id, "gone-1");
  }
  std::lock_guard lock(mu);
  parked.reset();
}

// Every line written while the test captures stderr, parsed as JSON.
std::vector<json> json_lines(const std::string& captured) {
  std::vector<json> out;
  std::istringstream in(captured);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not a JSON line: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

TEST(RequestId, JsonLogLinesCarryTheRequestId) {
  const LogFormat saved_format = log_format();
  const LogLevel saved_level = log_level();
  set_log_format(LogFormat::kJson);
  set_log_level(LogLevel::kInfo);
  auto rec = std::make_shared<Recorder>();
  auto server = id_server(rec);
  ASSERT_TRUE(server);
  ::testing::internal::CaptureStderr();
  {
    Client c(server->port());
    c.request("GET", "/id", "", {{"X-Request-Id", "log-me-1"}});
    c.request("GET", "/nope", "", {{"X-Request-Id", "log-me-2"}});
  }
  const bool done = eventually([&] { return rec->size() == 2; }, 2s);
  server->stop();
  const std::string captured = ::testing::internal::GetCapturedStderr();
  set_log_format(saved_format);
  set_log_level(saved_level);
  ASSERT_TRUE(done);
  bool handler_line = false;
  int access_lines = 0;
  for (const json& j : json_lines(captured)) {
    ASSERT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << j.dump();
    EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    const std::string msg = j["msg"];
    if (msg == "handler saw the request") {
      handler_line = true;
      EXPECT_EQ(j.value("request_id", ""), "log-me-1");
    }
    if (j.contains("route")) {
      ++access_lines;
      EXPECT_EQ(j["level"], "info");
      EXPECT_TRUE(j["status"].is_number());
      EXPECT_TRUE(j["duration_ms"].is_number());
      if (j["request_id"] == "log-me-1") {
        EXPECT_EQ(j["path"], "/id");
        EXPECT_EQ(j["route"], "/id");
        EXPECT_EQ(j["status"], 200);
        EXPECT_EQ(j["method"], "GET");
      } else {
        EXPECT_EQ(j["request_id"], "log-me-2");
        EXPECT_EQ(j["route"], "unmatched");
        EXPECT_EQ(j["status"], 404);
      }
    }
  }
  EXPECT_TRUE(handler_line) << captured;
  EXPECT_EQ(access_lines, 2) << captured;
}

TEST(RequestId, AccessLogCanBeTurnedOff) {
  const LogLevel saved_level = log_level();
  set_log_level(LogLevel::kInfo);
  auto rec = std::make_shared<Recorder>();
  HttpServerOptions options;
  options.access_log = false;
  auto server = id_server(rec, options);
  ASSERT_TRUE(server);
  ::testing::internal::CaptureStderr();
  {
    Client c(server->port());
    c.request("GET", "/items/1");
  }
  const bool done = eventually([&] { return rec->size() == 1; }, 2s);
  server->stop();
  const std::string captured = ::testing::internal::GetCapturedStderr();
  set_log_level(saved_level);
  EXPECT_TRUE(done);
  EXPECT_EQ(captured.find("/items/1"), std::string::npos) << captured;
}

}  // namespace
}  // namespace impetus::http
