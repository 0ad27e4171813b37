// Live events through the real ApiServer: GET /ws with a real WebSocket
// client, the metrics room (snapshot + periodic metrics_update), generation
// events carrying the X-Request-Id, the logs room, API keys, and hundreds of
// idle subscribers costing no threads.
#include <gtest/gtest.h>

#include "server/api_server.h"
#include "server/http/test_client.h"
#include "server/http/ws_client.h"
#include "server/metrics/fake_engine.h"

namespace impetus {
namespace {

using namespace std::chrono_literals;
using http::test::Client;
using http::test::WsClient;
using nlohmann::json;
using testing::FakeEngine;

class ApiEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FakeEngine::shared_tokenizer() == nullptr)
      GTEST_SKIP() << "stories260K test data is missing";
    EngineStats s;
    s.requests_running = 2;
    s.requests_waiting = 5;
    s.generated_tokens = 1000;
    engine_.set_stats(s);
    registry_.add(testing::fake_model("fake-model", engine_));
  }
  void start(const std::string& api_key = "") {
    ApiServerOptions options;
    options.http.host = "127.0.0.1";
    options.http.port = 0;
    options.api_key = api_key;
    options.metrics_update_period = 200ms;
    server_ = std::make_unique<ApiServer>(options, registry_);
    ASSERT_TRUE(server_->start().ok());
  }
  std::unique_ptr<WsClient> subscribe(std::initializer_list<const char*> rooms) {
    auto c = std::make_unique<WsClient>(server_->port());
    EXPECT_TRUE(c->ok()) << c->error();
    EXPECT_TRUE(c->read_type("hello", 2s));
    for (const char* room : rooms) {
      c->send(json{{"type", "subscribe"}, {"data", {{"room", room}}}}.dump());
      auto ack = c->read_type("subscribed", 2s);
      EXPECT_TRUE(ack) << room;
    }
    return c;
  }

  FakeEngine engine_;
  ModelRegistry registry_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiEvents, MetricsRoomGetsASnapshotThenPeriodicUpdates) {
  start();
  auto c = subscribe({"metrics"});
  auto first = c->read_type("metrics_update", 2s);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["room"], "metrics");
  EXPECT_EQ((*first)["schema_version"], 1);
  const json& m = (*first)["data"]["models"][0];
  EXPECT_EQ(m["model"], "fake-model");
  EXPECT_EQ(m["requests_running"], 2);
  EXPECT_EQ(m["requests_waiting"], 5);
  EXPECT_EQ(m["generated_tokens_total"], 1000);
  EXPECT_EQ((*first)["data"]["totals"]["requests_waiting"], 5);
  const auto t0 = std::chrono::steady_clock::now();
  auto second = c->read_type("metrics_update", 2s);
  ASSERT_TRUE(second);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_GT((*second)["ts"].get<int64_t>(), (*first)["ts"].get<int64_t>());
}

TEST_F(ApiEvents, GenerationEventsCarryTheRequestId) {
  start();
  auto c = subscribe({"metrics"});
  Client http(server_->port());
  auto r = http.request("POST", "/v1/completions",
                        R"({"model":"fake-model","prompt":"Once upon a time","max_tokens":3})",
                        {{"Content-Type", "application/json"}, {"X-Request-Id", "gen-42"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-request-id"), "gen-42");
  const json body = json::parse(r.body);
  auto started = c->read_type("generation_started", 2s);
  ASSERT_TRUE(started);
  EXPECT_EQ((*started)["data"]["request_id"], "gen-42");
  EXPECT_EQ((*started)["data"]["model"], "fake-model");
  EXPECT_EQ((*started)["data"]["prompt_tokens"], body["usage"]["prompt_tokens"]);
  EXPECT_EQ((*started)["data"]["response_id"], body["id"]);
  auto done = c->read_type("generation_complete", 2s);
  ASSERT_TRUE(done);
  const json& d = (*done)["data"];
  EXPECT_EQ(d["request_id"], "gen-42");
  EXPECT_EQ(d["completion_tokens"], 3);
  EXPECT_EQ(d["prompt_tokens"], body["usage"]["prompt_tokens"]);
  EXPECT_EQ(d["finish_reason"], "length");
  ASSERT_TRUE(d["ttft_ms"].is_number());
  EXPECT_GE(d["ttft_ms"].get<double>(), 0.0);
  EXPECT_GE(d["duration_ms"].get<double>(), d["ttft_ms"].get<double>());
}

TEST_F(ApiEvents, LogsRoomForwardsLogLines) {
  start();
  auto c = subscribe({"logs"});
  Client http(server_->port());
  http.request("GET", "/api/health", "", {{"X-Request-Id", "log-7"}});
  for (;;) {
    auto ev = c->read_type("log", 2s);
    ASSERT_TRUE(ev) << "no log line for the request";
    if ((*ev)["data"].value("request_id", "") != "log-7") continue;
    EXPECT_EQ((*ev)["data"]["level"], "info");
    EXPECT_NE((*ev)["data"]["msg"].get<std::string>().find("/api/health"), std::string::npos);
    break;
  }
}

TEST_F(ApiEvents, WsNeedsAnUpgradeAndTheApiKey) {
  start("sekrit");
  Client http(server_->port());
  auto r = http.request("GET", "/ws", "", {{"Authorization", "Bearer sekrit"}});
  EXPECT_EQ(r.status, 426);
  EXPECT_EQ(r.header("upgrade"), "websocket");
  EXPECT_TRUE(json::parse(r.body).contains("error"));
  EXPECT_FALSE(WsClient(server_->port()).ok());
  EXPECT_FALSE(WsClient(server_->port(), "/ws?api_key=wrong").ok());
  EXPECT_TRUE(WsClient(server_->port(), "/ws", {{"Authorization", "Bearer sekrit"}}).ok());
  EXPECT_TRUE(WsClient(server_->port(), "/ws?api_key=sekrit").ok());
}

TEST_F(ApiEvents, HundredsOfIdleSubscribersCostNoThreads) {
  start();
  {
    auto warm = subscribe({"models"});  // the server's threads are all up now
  }
  const int threads_before = http::test::thread_count();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 300; ++i) clients.push_back(subscribe({"models"}));
  EXPECT_EQ(http::test::thread_count(), threads_before) << "a thread per client?";
  EXPECT_EQ(server_->events().stats().n_clients, 300u);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->events().publish("models", "models_update", {{"models", json::array()}}),
            300u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  for (auto& c : clients) {
    auto ev = c->read_type("models_update", 2s);
    ASSERT_TRUE(ev);
  }
  clients.clear();
  EXPECT_TRUE(http::test::eventually([&] { return server_->events().stats().n_clients == 0; }, 3s));
}

}  // namespace
}  // namespace impetus
