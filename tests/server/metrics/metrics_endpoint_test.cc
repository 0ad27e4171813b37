// GET /metrics of the real ApiServer, read by the official Prometheus
// parser: request counters by (method, route pattern, status) move after
// known requests (404s under "unmatched"), latency and generation
// histograms fill, and engine values pulled at scrape time equal what the
// (fake) engines report, labelled by model -- odd model ids included.
#include <gtest/gtest.h>

#include "server/api_server.h"
#include "server/http/test_client.h"
#include "server/metrics/fake_engine.h"
#include "server/metrics/prom_parse.h"

namespace impetus {
namespace {

using http::test::Client;
using testing::FakeEngine;
using testing::parse_prometheus;
using testing::PromParse;

const std::string kOdd = "odd \"quoted\" \\ model";

class MetricsEndpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FakeEngine::shared_tokenizer() == nullptr)
      GTEST_SKIP() << "stories260K test data is missing";
    EngineStats s;
    s.requests_total = 11;
    s.requests_running = 2;
    s.requests_waiting = 5;
    s.prompt_tokens_computed = 100;
    s.prompt_tokens_reused = 40;
    s.generated_tokens = 1000;
    s.preemptions = 3;
    s.steps = 77;
    engine_.set_stats(s);
    CacheStatus c;
    c.blocks_total = 64;
    c.blocks_used = 10;
    c.blocks_cached = 20;
    c.memory_used_bytes = 1234;
    c.memory_max_bytes = 5678;
    c.lookups_hit = 9;
    c.lookups_missed = 1;
    engine_.set_cache_status(c);
    EngineStats o;
    o.generated_tokens = 5;
    odd_engine_.set_stats(o);
    registry_.add(testing::fake_model("fake-model", engine_));
    registry_.add(testing::fake_model(kOdd, odd_engine_));
    ApiServerOptions options;
    options.http.host = "127.0.0.1";
    options.http.port = 0;
    server_ = std::make_unique<ApiServer>(options, registry_);
    ASSERT_TRUE(server_->start().ok());
    client_ = std::make_unique<Client>(server_->port());
  }

  PromParse scrape() {
    auto r = client_->request("GET", "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return parse_prometheus(r.body);
  }

  FakeEngine engine_;
  FakeEngine odd_engine_;
  ModelRegistry registry_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<Client>
      client_;  // one keep-alive connection: each record lands before the next request
};

std::map<std::string, std::string> req(const std::string& method, const std::string& route,
                                       int status) {
  return {{"method", method}, {"route", route}, {"status", std::to_string(status)}};
}

TEST_F(MetricsEndpoint, RequestCountersMoveAfterKnownRequests) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client_->request("GET", "/v1/models").status, 200);
  EXPECT_EQ(client_->request("GET", "/nope").status, 404);
  EXPECT_EQ(client_->request("GET", "/nope/either").status, 404);
  EXPECT_EQ(client_->request("GET", "/v1/models/fake-model").status, 200);
  EXPECT_EQ(client_->request("BREW", "/coffee").status, 404);
  EXPECT_EQ(client_->request("DELETE", "/v1/models").status, 405);
  auto r = client_->request("POST", "/v1/completions",
                            R"({"model":"fake-model","prompt":"Once","max_tokens":3})",
                            {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const PromParse p = scrape();
  if (!p.available) GTEST_SKIP() << "python3-prometheus-client is not installed";
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.value("impetus_http_requests_total", req("GET", "/v1/models", 200)), 3.0);
  EXPECT_EQ(p.value("impetus_http_requests_total", req("GET", "unmatched", 404)), 2.0);
  EXPECT_EQ(p.value("impetus_http_requests_total", req("GET", "/v1/models/{id*}", 200)), 1.0);
  EXPECT_EQ(p.value("impetus_http_requests_total", req("OTHER", "unmatched", 404)), 1.0);
  EXPECT_EQ(p.value("impetus_http_requests_total", req("DELETE", "unmatched", 405)), 1.0);
  EXPECT_EQ(p.value("impetus_http_requests_total", req("POST", "/v1/completions", 200)), 1.0);
  EXPECT_FALSE(
      p.value("impetus_http_requests_total", req("GET", "/metrics", 200)));  // not finished yet
  EXPECT_EQ(p.value("impetus_http_request_duration_seconds_count",
                    {{"method", "GET"}, {"route", "/v1/models"}}),
            3.0);
  EXPECT_EQ(p.value("impetus_time_to_first_token_seconds_count", {{"model", "fake-model"}}), 1.0);
  EXPECT_EQ(p.value("impetus_time_per_output_token_seconds_count", {{"model", "fake-model"}}), 1.0);
  EXPECT_GT(*p.value("impetus_time_to_first_token_seconds_sum", {{"model", "fake-model"}}), 0.0);

  // The next scrape sees the first one.
  const PromParse again = scrape();
  ASSERT_EQ(again.error, "");
  EXPECT_EQ(again.value("impetus_http_requests_total", req("GET", "/metrics", 200)), 1.0);
  EXPECT_EQ(again.value("impetus_http_requests_total", req("GET", "/v1/models", 200)), 3.0);
  for (const auto& s : again.samples) {
    EXPECT_FALSE(s.help.empty()) << s.name;
    if (s.name == "impetus_http_requests_total") {
      EXPECT_EQ(s.type, "counter");
    }
    if (s.name == "impetus_http_request_duration_seconds_bucket") {
      EXPECT_EQ(s.type, "histogram");
    }
  }
}

TEST_F(MetricsEndpoint, EngineValuesArePulledAtScrapeTime) {
  server_->metrics().set_model_load_seconds("fake-model", 1.5);
  PromParse p = scrape();
  if (!p.available) GTEST_SKIP() << "python3-prometheus-client is not installed";
  ASSERT_EQ(p.error, "");
  const std::map<std::string, std::string> m = {{"model", "fake-model"}};
  EXPECT_EQ(p.value("impetus_requests_total", m), 11.0);
  EXPECT_EQ(p.value("impetus_requests_running", m), 2.0);
  EXPECT_EQ(p.value("impetus_requests_waiting", m), 5.0);
  EXPECT_EQ(p.value("impetus_prompt_tokens_total", m), 140.0);
  EXPECT_EQ(p.value("impetus_prompt_tokens_reused_total", m), 40.0);
  EXPECT_EQ(p.value("impetus_generated_tokens_total", m), 1000.0);
  EXPECT_EQ(p.value("impetus_preemptions_total", m), 3.0);
  EXPECT_EQ(p.value("impetus_engine_steps_total", m), 77.0);
  EXPECT_EQ(p.value("impetus_kv_blocks_total", m), 64.0);
  EXPECT_EQ(p.value("impetus_kv_blocks_used", m), 10.0);
  EXPECT_EQ(p.value("impetus_kv_blocks_free", m), 54.0);
  EXPECT_EQ(p.value("impetus_kv_blocks_cached", m), 20.0);
  EXPECT_EQ(p.value("impetus_kv_cache_memory_used_bytes", m), 1234.0);
  EXPECT_EQ(p.value("impetus_kv_cache_memory_max_bytes", m), 5678.0);
  EXPECT_EQ(
      p.value("impetus_prefix_cache_lookups_total", {{"model", "fake-model"}, {"result", "hit"}}),
      9.0);
  EXPECT_EQ(
      p.value("impetus_prefix_cache_lookups_total", {{"model", "fake-model"}, {"result", "miss"}}),
      1.0);
  EXPECT_EQ(p.value("impetus_model_load_seconds", m), 1.5);
  EXPECT_EQ(p.value("impetus_generated_tokens_total", {{"model", kOdd}}), 5.0);
  EXPECT_EQ(p.value("impetus_websocket_clients"), 0.0);
  EXPECT_GE(*p.value("impetus_http_connections"), 1.0);

  // Values change between scrapes: they are read from the engine each time.
  EngineStats s = engine_.stats();
  s.generated_tokens = 2000;
  s.requests_waiting = 0;
  engine_.set_stats(s);
  p = scrape();
  EXPECT_EQ(p.value("impetus_generated_tokens_total", m), 2000.0);
  EXPECT_EQ(p.value("impetus_requests_waiting", m), 0.0);
}

TEST_F(MetricsEndpoint, HardwareCollectorsPlugIn) {
  server_->metrics().registry().add_collector([](MetricsSink& out) {
    out.gauge("impetus_gpu_temperature_celsius", "GPU temperature", {{"gpu", "0"}}, 63);
  });
  const PromParse p = scrape();
  if (!p.available) GTEST_SKIP() << "python3-prometheus-client is not installed";
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.value("impetus_gpu_temperature_celsius", {{"gpu", "0"}}), 63.0);
}

TEST_F(MetricsEndpoint, NeedsTheApiKeyWhenOneIsSet) {
  server_.reset();
  ApiServerOptions options;
  options.http.host = "127.0.0.1";
  options.http.port = 0;
  options.api_key = "k";
  server_ = std::make_unique<ApiServer>(options, registry_);
  ASSERT_TRUE(server_->start().ok());
  Client c(server_->port());
  EXPECT_EQ(c.request("GET", "/metrics").status, 401);
  auto r = c.request("GET", "/metrics", "", {{"Authorization", "Bearer k"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("impetus_http_requests_total"), std::string::npos);
}

}  // namespace
}  // namespace impetus
