// The download API (server/routes/download_routes.h) on a real HttpServer
// (127.0.0.1, port 0). The same server plays the CDN: /cdn/{name} serves
// file bytes and /hang never answers (a transfer that only a cancel ends).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "server/http/test_client.h"
#include "server/routes/download_routes.h"
#include "store/model_files.h"
#include "store/sha256.h"

namespace impetus {
namespace {

namespace fs = std::filesystem;
using http::test::Client;
using http::test::eventually;
using http::test::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

class DownloadRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override { start(UINT64_MAX, ""); }
  void TearDown() override { stop(); }

  void start(uint64_t free_bytes, const std::string& api_key) {
    dir_ = fs::temp_directory_path() /
           ("impetus_dl_routes_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    content_ = std::string(50000, 'x') + "tail";
    DownloadManagerOptions o;
    o.models_dir = (dir_ / "models").string();
    o.free_space = [free_bytes](const std::string&) -> StatusOr<uint64_t> { return free_bytes; };
    o.downloader.retry_base_delay = 1ms;
    o.downloader.max_attempts = 2;
    dm_ = std::make_unique<DownloadManager>(
        o, [this](const std::string& id, const std::string& q) { return resolve(id, q); });
    dm_->set_on_complete([this](const DownloadTask& t) {
      std::lock_guard lock(mu_);
      completed_.push_back(t);
    });
    http::Router router;
    RouteContext ctx;
    ctx.api_key = api_key;
    add_download_routes(router, ctx, *dm_);
    router.add("GET", "/cdn/{name}",
               [this](const http::HttpRequest&, std::shared_ptr<http::Responder> r) {
                 http::HttpResponse res;
                 res.content_type = "application/octet-stream";
                 res.body = content_;
                 r->respond(std::move(res));
               });
    router.add("GET", "/hang",
               [this](const http::HttpRequest&, std::shared_ptr<http::Responder> r) {
                 std::lock_guard lock(mu_);
                 hanging_.push_back(std::move(r));  // answered in stop()
               });
    server_ = http::test::start_server(std::move(router));
    ASSERT_TRUE(server_);
    port_ = server_->port();
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      for (auto& r : hanging_) r->respond(http::HttpResponse{});
      hanging_.clear();
    }
    dm_.reset();
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  StatusOr<DownloadSpec> resolve(const std::string& id, const std::string& quant) {
    IMP_ASSIGN_OR_RETURN(ModelRef ref, parse_model_ref(id, quant));
    const std::string base = "http://127.0.0.1:" + std::to_string(port_);
    if (ref.repo == "org/denied") return failed_precondition("permission denied: set HF_TOKEN");
    if (ref.repo == "org/slow")
      return DownloadSpec{ref.repo, "slow.gguf", base + "/hang", "", 1000};
    if (ref.repo == "org/m" && ref.quantization == "Q8_0") {
      return DownloadSpec{ref.repo, "m-Q8_0.gguf", base + "/cdn/m-Q8_0.gguf", sha256_hex(content_),
                          content_.size()};
    }
    return not_found("no .gguf file for that quantization in " + ref.repo);
  }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    Client c(port_);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return c.request(method, target, body, headers);
  }
  json task(const std::string& id) {
    return json::parse(call("GET", "/api/models/download/" + id).body);
  }

  fs::path dir_;
  std::string content_;
  std::unique_ptr<DownloadManager> dm_;
  std::unique_ptr<http::HttpServer> server_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<DownloadTask> completed_;
  std::vector<std::shared_ptr<http::Responder>> hanging_;
};

TEST_F(DownloadRoutesTest, DownloadsAndReportsTheTask) {
  Reply r = call("POST", "/api/models/download",
                 R"({"model_id":"org/m","quantization":"Q8_0","auto_load":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  json t = json::parse(r.body);
  std::set<std::string> keys;
  for (auto& [k, v] : t.items()) keys.insert(k);
  EXPECT_EQ(keys, (std::set<std::string>{"task_id", "model_id", "status", "progress",
                                         "downloaded_gb", "total_gb", "speed_mbps", "eta_seconds",
                                         "error", "started_at", "completed_at"}));
  EXPECT_EQ(t["model_id"], "org/m");
  const std::string id = t["task_id"];
  ASSERT_TRUE(eventually([&] { return task(id)["status"] == "completed"; }, 3000ms));
  json done = task(id);
  EXPECT_EQ(done["progress"], 100.0);
  EXPECT_DOUBLE_EQ(done["total_gb"].get<double>(), static_cast<double>(content_.size()) / 1e9);
  EXPECT_DOUBLE_EQ(done["downloaded_gb"].get<double>(), done["total_gb"].get<double>());
  EXPECT_TRUE(done["error"].is_null());
  ASSERT_TRUE(done["started_at"].is_string());
  EXPECT_EQ(done["started_at"].get<std::string>().size(), 20u);  // 2025-01-31T12:00:00Z
  EXPECT_EQ(done["started_at"].get<std::string>().back(), 'Z');
  ASSERT_TRUE(done["completed_at"].is_string());
  std::ifstream in(dir_ / "models" / "org" / "m" / "m-Q8_0.gguf", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), content_);
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(completed_.size(), 1u);
    EXPECT_TRUE(completed_[0].auto_load);
  }
  json list = json::parse(call("GET", "/api/models/downloads").body);
  ASSERT_EQ(list["downloads"].size(), 1u);
  EXPECT_EQ(list["downloads"][0]["task_id"], id);
  // Cancelling a finished task leaves it as it was.
  Reply del = call("DELETE", "/api/models/download/" + id);
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(json::parse(del.body)["status"], "completed");
}

TEST_F(DownloadRoutesTest, RejectsBadBodies) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (const Case& c : {Case{R"({"model_id":"org/m:Q8_0","foo":1})", "foo"},
                        Case{R"({"model_id":"org/m:Q8_0","quantization":4})", "quantization"},
                        Case{R"({"model_id":"org/m:Q8_0","auto_load":"yes"})", "auto_load"},
                        Case{R"({"quantization":"Q8_0"})", "model_id"},
                        Case{R"({"model_id":"../../etc/passwd"})", "model_id"},
                        Case{R"({"model_id":"org/m/../../x.gguf"})", "model_id"}}) {
    Reply r = call("POST", "/api/models/download", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    json e = json::parse(r.body);
    EXPECT_EQ(e["error"]["param"], c.param) << c.body;
    EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  }
  EXPECT_EQ(call("POST", "/api/models/download", "[1]").status, 400);
  EXPECT_EQ(call("POST", "/api/models/download", "not json").status, 400);
  EXPECT_TRUE(json::parse(call("GET", "/api/models/downloads").body)["downloads"].empty());
}

TEST_F(DownloadRoutesTest, MapsResolutionErrors) {
  Reply missing = call("POST", "/api/models/download", R"({"model_id":"org/m:Q2_K"})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["error"]["code"], "model_not_found");
  Reply denied = call("POST", "/api/models/download", R"({"model_id":"org/denied:Q4_0"})");
  EXPECT_EQ(denied.status, 403);
  json e = json::parse(denied.body)["error"];
  EXPECT_EQ(e["code"], "hub_access_denied");
  EXPECT_NE(e["message"].get<std::string>().find("HF_TOKEN"), std::string::npos);
}

TEST_F(DownloadRoutesTest, UnknownTasksAre404) {
  for (const char* method : {"GET", "DELETE"}) {
    Reply r = call(method, "/api/models/download/no-such-task");
    EXPECT_EQ(r.status, 404) << method;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "download_not_found");
  }
}

TEST_F(DownloadRoutesTest, CancelsARunningDownload) {
  Reply r = call("POST", "/api/models/download", R"({"model_id":"org/slow:Q4_0"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = json::parse(r.body)["task_id"];
  ASSERT_TRUE(eventually([&] { return task(id)["status"] == "downloading"; }, 2000ms));
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard l(mu_);
        return !hanging_.empty();
      },
      2000ms));
  Reply del = call("DELETE", "/api/models/download/" + id);
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(json::parse(del.body)["status"], "cancelled");
  std::this_thread::sleep_for(50ms);
  json t = task(id);
  EXPECT_EQ(t["status"], "cancelled");
  EXPECT_FALSE(t["completed_at"].is_null());
  // curl notices the flag at its next progress tick (at least once a second while idle).
  EXPECT_TRUE(eventually(
      [&] { return !fs::exists(dir_ / "models" / "org" / "slow" / "slow.gguf.partial"); }, 2000ms));
}

TEST_F(DownloadRoutesTest, DiskShortIs507) {
  stop();
  start(1000, "");
  Reply r = call("POST", "/api/models/download", R"({"model_id":"org/m:Q8_0"})");
  EXPECT_EQ(r.status, 507) << r.body;
  json e = json::parse(r.body)["error"];
  EXPECT_EQ(e["code"], "insufficient_storage");
  EXPECT_NE(e["message"].get<std::string>().find("disk space"), std::string::npos);
  EXPECT_TRUE(json::parse(call("GET", "/api/models/downloads").body)["downloads"].empty());
}

TEST_F(DownloadRoutesTest, NeedsTheApiKeyWhenSet) {
  stop();
  start(UINT64_MAX, "sekrit");
  EXPECT_EQ(call("GET", "/api/models/downloads").status, 401);
  EXPECT_EQ(call("POST", "/api/models/download", R"({"model_id":"org/m:Q8_0"})").status, 401);
  EXPECT_EQ(call("GET", "/api/models/downloads", "", {{"Authorization", "Bearer sekrit"}}).status,
            200);
}

}  // namespace
}  // namespace impetus
