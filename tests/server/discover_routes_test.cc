// GET /api/models/discover and /api/models/recommended on a real server
// (127.0.0.1, ephemeral port), over the shipped catalog: the fields of every
// model, each filter, the speed estimates against hand arithmetic, and 400s
// for bad query values.
#include "server/routes/discover_routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "server/http/test_client.h"
#include "testing/paths.h"

namespace impetus {
namespace {

using http::test::Client;
using http::test::Reply;
using nlohmann::json;

const Catalog& shipped() {
  static const Catalog catalog = [] {
    auto c = Catalog::load(testing::source_path("data/catalog.json"));
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : *Catalog::parse(R"({"version":1,"models":[]})");
  }();
  return catalog;
}

HardwareSummary laptop() {
  HardwareSummary hw;
  hw.memory_bandwidth_gbps = 50.0;
  hw.total_memory_bytes = 16'000'000'000;
  hw.available_memory_bytes = 8'000'000'000;
  return hw;
}

class DiscoverRoutesTest : public ::testing::Test {
 protected:
  void start(HardwareSummary hw, std::string api_key = "",
             std::function<PerfCalibration()> calibration = nullptr) {
    RouteContext ctx;
    ctx.api_key = std::move(api_key);
    http::Router router;
    add_discover_routes(
        router, ctx, shipped(), [hw] { return hw; }, std::move(calibration));
    server_ = http::test::start_server(std::move(router));
    ASSERT_TRUE(server_);
    client_ = std::make_unique<Client>(server_->port());
  }
  json get(const std::string& target, int expected_status = 200) {
    Reply r = client_->request("GET", target);
    EXPECT_EQ(r.status, expected_status) << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  static std::set<std::string> ids(const json& body) {
    std::set<std::string> out;
    for (const json& m : body["models"]) out.insert(m["id"].get<std::string>());
    return out;
  }

  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(DiscoverRoutesTest, EveryModelWithTheDashboardFields) {
  start(laptop());
  json body = get("/api/models/discover");
  ASSERT_EQ(body["models"].size(), shipped().entries().size());
  EXPECT_EQ(body["count"], shipped().entries().size());
  EXPECT_EQ(body["hardware"]["memory_bandwidth_gbps"], 50.0);
  EXPECT_EQ(body["hardware"]["available_memory_gb"], 8.0);
  EXPECT_TRUE(body["hardware"]["gpus"].is_array());
  int last_score = 101;
  for (const json& m : body["models"]) {
    const CatalogEntry* e = shipped().find(m["id"].get<std::string>());
    ASSERT_NE(e, nullptr) << m.dump();
    EXPECT_EQ(m["name"], e->name);
    EXPECT_EQ(m["category"], std::string(category_name(e->category)));
    EXPECT_EQ(m["context_length"], e->context_length);
    EXPECT_EQ(m["description"], e->description);
    EXPECT_EQ(m["features"], json(e->features));
    EXPECT_EQ(m["recommended_for"], json(e->recommended_for));
    EXPECT_EQ(m["min_memory_gb"], e->min_memory_gb);
    EXPECT_EQ(m["popularity_score"], e->popularity_score);
    // No memory given: the default quantization.
    const CatalogFile& f = default_file(*e);
    EXPECT_EQ(m["quantization"], f.quantization);
    EXPECT_EQ(m["size_bytes"], f.size_bytes);
    EXPECT_NEAR(m["size_gb"].get<double>(), static_cast<double>(f.size_bytes) / 1e9, 0.005);
    // CPU only: 0.6 * 50e9 / file bytes, to 0.1.
    EXPECT_NEAR(m["estimated_tokens_per_sec"].get<double>(),
                0.6 * 50e9 / static_cast<double>(f.size_bytes), 0.051)
        << e->id;
    EXPECT_EQ(m["estimate"]["device"], "cpu");
    EXPECT_EQ(m["files"].size(), e->files.size());
    EXPECT_LE(m["popularity_score"].get<int>(), last_score);  // most popular first
    last_score = m["popularity_score"].get<int>();
  }
}

TEST_F(DiscoverRoutesTest, Filters) {
  start(laptop());
  EXPECT_EQ(ids(get("/api/models/discover?category=coding")),
            (std::set<std::string>{"qwen2.5-coder-7b-instruct"}));
  EXPECT_EQ(ids(get("/api/models/discover?category=CODING")),
            (std::set<std::string>{"qwen2.5-coder-7b-instruct"}));
  for (const std::string& id : ids(get("/api/models/discover?search=qwen3"))) {
    EXPECT_EQ(id.rfind("qwen3", 0), 0u) << id;
  }
  EXPECT_EQ(ids(get("/api/models/discover?search=qwen3")).size(), 3u);
  EXPECT_TRUE(ids(get("/api/models/discover?search=no+such+model")).empty());
  json small = get("/api/models/discover?available_memory=2.5");
  ASSERT_GT(small["models"].size(), 0u);
  for (const json& m : small["models"]) {
    EXPECT_LE(m["min_memory_gb"].get<double>(), 2.5) << m["id"];
    EXPECT_LE(m["size_gb"].get<double>() * 1.2 + 0.5, 2.5 + 0.01) << m["id"];
  }
  EXPECT_FALSE(ids(small).count("llama-3.1-8b-instruct"));
  for (const json& m : get("/api/models/discover?use_case=coding")["models"]) {
    const auto uses = m["recommended_for"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(uses.begin(), uses.end(), "coding"), uses.end()) << m["id"];
  }
  json both = get("/api/models/discover?category=efficient&use_case=edge&available_memory=1");
  EXPECT_EQ(ids(both), (std::set<std::string>{"qwen3-0.6b", "smollm2-135m-instruct",
                                              "smollm2-360m-instruct"}));
}

TEST_F(DiscoverRoutesTest, BadQueryValuesAre400) {
  start(laptop());
  struct Case {
    const char* target;
    const char* param;
  };
  for (const Case& c : {Case{"/api/models/discover?category=gaming", "category"},
                        Case{"/api/models/discover?available_memory=lots", "available_memory"},
                        Case{"/api/models/discover?available_memory=-1", "available_memory"},
                        Case{"/api/models/discover?available_memory=8GB", "available_memory"},
                        Case{"/api/models/discover?available_memory=nan", "available_memory"},
                        Case{"/api/models/discover?use_case=a%20b", "use_case"},
                        Case{"/api/models/recommended?use_case=%2Fetc", "use_case"},
                        Case{"/api/models/recommended?limit=0", "limit"},
                        Case{"/api/models/recommended?limit=x", "limit"}}) {
    json body = get(c.target, 400);
    EXPECT_EQ(body["error"]["type"], "invalid_request_error") << c.target;
    EXPECT_EQ(body["error"]["param"], c.param) << c.target;
  }
}

TEST_F(DiscoverRoutesTest, RecommendedFitsTheMachine) {
  start(laptop());  // 8 GB available
  json body = get("/api/models/recommended?use_case=coding");
  EXPECT_EQ(body["use_case"], "coding");
  ASSERT_GT(body["models"].size(), 0u);
  EXPECT_EQ(body["models"][0]["id"], "qwen2.5-coder-7b-instruct");
  for (const json& m : body["models"]) {
    EXPECT_LE(m["min_memory_gb"].get<double>(), 8.0);
    EXPECT_LE(m["size_bytes"].get<double>() * 1.2 + 0.5e9, 8e9) << m["id"];
  }
  EXPECT_EQ(get("/api/models/recommended?limit=2")["models"].size(), 2u);
  EXPECT_EQ(get("/api/models/recommended")["use_case"], nullptr);
  EXPECT_TRUE(get("/api/models/recommended?use_case=painting")["models"].empty());
}

TEST_F(DiscoverRoutesTest, GpuAndUnknownHardware) {
  HardwareSummary hw = laptop();
  hw.gpus.push_back({"Test GPU", 24'000'000'000, 1000.0});
  start(hw);
  json m = get("/api/models/discover?search=llama-3.1-8b")["models"][0];
  EXPECT_EQ(m["estimate"]["device"], "gpu");
  EXPECT_NEAR(m["estimated_tokens_per_sec"].get<double>(), 0.5 * 1000e9 / 4'920'739'232.0, 0.051);
  EXPECT_EQ(get("/api/models/discover")["hardware"]["gpus"][0]["name"], "Test GPU");

  server_.reset();
  start(HardwareSummary{});
  for (const json& x : get("/api/models/discover")["models"])
    EXPECT_TRUE(x["estimated_tokens_per_sec"].is_null());
}

TEST_F(DiscoverRoutesTest, MeasurementsAndApiKey) {
  start(laptop(), "sekret", [] {
    PerfCalibration c;
    c.measured["qwen3-4b"] = {33.3, 0};
    return c;
  });
  EXPECT_EQ(client_->request("GET", "/api/models/discover").status, 401);
  Reply r = client_->request("GET", "/api/models/discover?search=qwen3-4b", "",
                             {{"Authorization", "Bearer sekret"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json m = json::parse(r.body)["models"][0];
  EXPECT_EQ(m["id"], "qwen3-4b");
  EXPECT_EQ(m["estimated_tokens_per_sec"], 33.3);
  EXPECT_EQ(m["estimate"]["basis"], "measured");
}

TEST(DiscoverJson, HardwareJson) {
  HardwareSummary hw = laptop();
  hw.gpus.push_back({"G", 12'345'678'901, 900.0});
  json j = hardware_json(hw);
  EXPECT_EQ(j["total_memory_bytes"], 16'000'000'000u);
  EXPECT_EQ(j["total_memory_gb"], 16.0);
  EXPECT_EQ(j["gpus"][0]["memory_bytes"], 12'345'678'901u);
  EXPECT_DOUBLE_EQ(j["gpus"][0]["memory_gb"].get<double>(), 12.35);
  EXPECT_EQ(j["gpus"][0]["memory_bandwidth_gbps"], 900.0);
}

}  // namespace
}  // namespace impetus
