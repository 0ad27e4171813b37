// The benchmark routes on a real HTTP server, with a real engine (the
// stories260K test model) and a real SQLite history: start a benchmark,
// poll it to the end, read it back through history, comparison and both
// exports; the error answers (unknown model 404, bad body 400, a second
// start 409, no store or a failing store 503 with the reason, unknown task
// 404, missing API key 401); model ids with slashes; the live events a
// WebSocket subscriber of the "benchmarks" room receives.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>

#include "backend/cpu/cpu_backend.h"
#include "engine/engine.h"
#include "server/events/event_hub.h"
#include "server/events/fake_socket.h"
#include "server/http/test_client.h"
#include "server/routes/benchmark_routes.h"
#include "testing/paths.h"

namespace impetus {
namespace {

using http::test::Client;
using http::test::eventually;
using http::test::Reply;
using nlohmann::json;
using namespace std::chrono_literals;

const char* kSmallBody = R"({"prompt_lengths": [8, 24], "max_tokens": 6, "runs": 1})";

class BenchmarkRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string model_path = testing::shared_testdata("models/stories260K/stories260K.gguf");
    if (!std::filesystem::exists(model_path)) GTEST_SKIP() << "stories260K test data is missing";
    backend_ = std::make_unique<CpuBackend>(CpuBackendOptions{1});
    auto m = Model::load(model_path, *backend_);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    model_ = std::move(*m);
    auto t = Tokenizer::from_gguf(model_->gguf());
    ASSERT_TRUE(t.ok());
    tok_ = std::move(*t);
    EngineOptions o;
    o.kv_type = DType::kF32;
    o.scheduler.max_context = 128;
    auto e = Engine::create(*model_, *tok_, o);
    ASSERT_TRUE(e.ok());
    engine_ = std::shared_ptr<Engine>(std::move(*e));
    for (const char* id : {"stories", "org/stories-v2"}) {
      ServedModel m;
      m.id = id;
      m.engine = engine_;
      registry_.add(m);
    }
    dir_ = testing::scratch_dir("benchmark_routes");
    std::filesystem::remove_all(dir_);
  }

  void TearDown() override {
    if (server_) server_->stop();
    runner_.reset();  // joins its tasks (members then go in reverse order: engine before model)
  }

  // Starts the server; `with_store` opens a history in the scratch folder.
  void start(bool with_store, BenchmarkRunnerOptions ro = {}, const std::string& api_key = "") {
    if (with_store) {
      auto s = BenchStore::open(dir_ + "/impetus.db");
      ASSERT_TRUE(s.ok()) << s.status().to_string();
      store_ = std::make_unique<BenchStore>(std::move(*s));
      ro.store = store_.get();
    }
    ro.hardware = [] { return HardwareIdentity{"fp-routes", R"({"cpu":"route test"})"}; };
    runner_ = std::make_unique<BenchmarkRunner>(ro);
    RouteContext ctx;
    ctx.registry = &registry_;
    ctx.api_key = api_key;
    http::Router router;
    add_benchmark_routes(router, ctx, store_.get(), *runner_);
    server_ = http::test::start_server(std::move(router));
    ASSERT_TRUE(server_);
    client_ = std::make_unique<Client>(server_->port());
  }

  // Polls the task until it is no longer running; returns its last status.
  json wait_task(const std::string& id) {
    json last;
    EXPECT_TRUE(eventually(
        [&] {
          Reply r = client_->request("GET", "/api/models/benchmark/task/" + id);
          EXPECT_EQ(r.status, 200) << r.body;
          last = json::parse(r.body);
          return last["status"] != "running";
        },
        30s));
    return last;
  }

  std::unique_ptr<CpuBackend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Tokenizer> tok_;
  std::shared_ptr<Engine> engine_;
  ModelRegistry registry_;
  std::string dir_;
  std::unique_ptr<BenchStore> store_;
  std::unique_ptr<BenchmarkRunner> runner_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(BenchmarkRoutes, RunsABenchmarkAndServesItsHistory) {
  start(true);
  Reply r = client_->request("POST", "/api/models/benchmark/stories", kSmallBody);
  ASSERT_EQ(r.status, 202) << r.body;
  json started = json::parse(r.body);
  EXPECT_EQ(started["status"], "running");
  const std::string id = started["task_id"];
  ASSERT_FALSE(id.empty());

  json done = wait_task(id);
  ASSERT_EQ(done["status"], "succeeded") << done.dump();
  EXPECT_EQ(done["saved"], true);
  EXPECT_EQ(done["progress"]["phase"], "done");
  const json& result = done["result"];
  ASSERT_EQ(result["prompts"].size(), 2u);
  EXPECT_EQ(result["prompts"][0]["prompt_tokens"], 8);
  EXPECT_EQ(result["prompts"][1]["prompt_tokens"], 24);
  EXPECT_EQ(result["prompts"][1]["generated_tokens"], 6);
  EXPECT_GT(result["generated_tokens_per_sec"].get<double>(), 0.0);
  EXPECT_GT(result["ttft_ms_avg"].get<double>(), 0.0);

  r = client_->request("GET", "/api/models/benchmark/stories/history?limit=5");
  ASSERT_EQ(r.status, 200) << r.body;
  json history = json::parse(r.body);
  EXPECT_EQ(history["model_id"], "stories");
  ASSERT_EQ(history["runs"].size(), 1u);
  EXPECT_EQ(history["runs"][0]["id"], result["id"]);
  EXPECT_EQ(history["runs"][0]["hardware_fingerprint"], "fp-routes");
  EXPECT_EQ(history["runs"][0]["hardware"]["cpu"], "route test");
  EXPECT_EQ(history["runs"][0]["source"], "api");

  r = client_->request("GET", "/api/models/benchmarks/comparison");
  ASSERT_EQ(r.status, 200) << r.body;
  json cmp = json::parse(r.body)["comparison"];
  ASSERT_EQ(cmp.size(), 1u);
  EXPECT_EQ(cmp[0]["model_id"], "stories");
  EXPECT_EQ(cmp[0]["run_count"], 1);

  r = client_->request("GET", "/api/models/benchmarks/export?format=csv");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_NE(r.header("content-disposition").find("impetus-benchmarks.csv"), std::string::npos);
  EXPECT_EQ(r.body.rfind("id,model_id,", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("\r\n" + std::to_string(result["id"].get<int64_t>()) + ",stories,"),
            std::string::npos)
      << r.body;

  r = client_->request("GET", "/api/models/benchmarks/export?format=json&model=stories");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(r.body)["runs"].size(), 1u);
  r = client_->request("GET", "/api/models/benchmarks/export?format=json&model=nobody");
  EXPECT_EQ(json::parse(r.body)["runs"].size(), 0u);

  EXPECT_EQ(client_->request("GET", "/api/models/benchmarks/export?format=xml").status, 400);
  EXPECT_EQ(client_->request("GET", "/api/models/benchmarks/export?format=csv&limit=x").status,
            400);
  EXPECT_EQ(client_->request("GET", "/api/models/benchmark/stories/history?limit=0").status, 400);
}

TEST_F(BenchmarkRoutes, RejectsBadRequests) {
  start(true);
  Reply r = client_->request("POST", "/api/models/benchmark/no-such-model", kSmallBody);
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "model_not_found");
  r = client_->request("POST", "/api/models/benchmark/stories",
                       R"({"max_tokens": 4, "temperature": 1})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "temperature");
  EXPECT_EQ(client_->request("POST", "/api/models/benchmark/stories", R"({"prompt_lengths": [0]})")
                .status,
            400);
  EXPECT_EQ(
      client_->request("POST", "/api/models/benchmark/stories", R"({"prompt_lengths": 32})").status,
      400);
  EXPECT_EQ(client_->request("POST", "/api/models/benchmark/stories", R"({"runs": 0})").status,
            400);
  EXPECT_EQ(client_->request("POST", "/api/models/benchmark/stories", "[1, 2]").status, 400);
  EXPECT_EQ(client_->request("POST", "/api/models/benchmark/stories", "{nope").status, 400);
  r = client_->request("GET", "/api/models/benchmark/task/bench-0000");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(client_->request("GET", "/api/models/benchmark/stories").status, 404);  // no "/history"
}

// Holds a benchmark in its first progress callback until released.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> l(mu);
      open = true;
    }
    cv.notify_all();
  }
};

TEST_F(BenchmarkRoutes, ASecondStartForTheSameModelIsAConflict) {
  Gate gate;
  BenchmarkRunnerOptions ro;
  ro.on_progress = [&gate](const BenchmarkProgress& p) {
    if (p.phase == "starting") gate.wait();
  };
  start(true, ro);
  Reply first = client_->request("POST", "/api/models/benchmark/stories", kSmallBody);
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string id = json::parse(first.body)["task_id"];
  Reply second = client_->request("POST", "/api/models/benchmark/stories", kSmallBody);
  EXPECT_EQ(second.status, 409) << second.body;
  EXPECT_NE(second.body.find(id), std::string::npos);
  // Another model may run beside it.
  Reply other = client_->request("POST", "/api/models/benchmark/org/stories-v2", kSmallBody);
  EXPECT_EQ(other.status, 202) << other.body;
  Reply status = client_->request("GET", "/api/models/benchmark/task/" + id);
  EXPECT_EQ(json::parse(status.body)["status"], "running");
  gate.release();
  EXPECT_EQ(wait_task(id)["status"], "succeeded");
  const std::string other_id = json::parse(other.body)["task_id"];
  EXPECT_EQ(wait_task(other_id)["status"], "succeeded");
  Reply h = client_->request("GET", "/api/models/benchmark/org/stories-v2/history");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(json::parse(h.body)["model_id"], "org/stories-v2");
  EXPECT_EQ(json::parse(h.body)["runs"].size(), 1u);
}

TEST_F(BenchmarkRoutes, WithoutAStoreHistoryIs503ButBenchmarksRun) {
  BenchmarkRunnerOptions ro;
  ro.store_status =
      data_loss("/home/x/.impetus/impetus.db: the file is not a valid SQLite database");
  start(false, ro);
  for (const char* path :
       {"/api/models/benchmark/stories/history", "/api/models/benchmarks/comparison",
        "/api/models/benchmarks/export?format=csv"}) {
    Reply r = client_->request("GET", path);
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("not a valid SQLite"),
              std::string::npos)
        << r.body;
  }
  Reply r = client_->request("POST", "/api/models/benchmark/stories", kSmallBody);
  ASSERT_EQ(r.status, 202) << r.body;
  json done = wait_task(json::parse(r.body)["task_id"]);
  EXPECT_EQ(done["status"], "succeeded");
  EXPECT_EQ(done["saved"], false);
  EXPECT_NE(done["save_error"].get<std::string>().find("not a valid SQLite"), std::string::npos);
}

TEST_F(BenchmarkRoutes, AFailingStoreIs503WithTheReason) {
  start(true);
  // Someone else breaks the database under the running server.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/impetus.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "DROP TABLE benchmark_prompts; DROP TABLE benchmark_runs;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  Reply r = client_->request("GET", "/api/models/benchmarks/comparison");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("benchmark_runs"), std::string::npos) << r.body;
  // The server still answers everything else.
  EXPECT_EQ(client_->request("GET", "/api/models/benchmark/task/none").status, 404);
}

TEST_F(BenchmarkRoutes, NeedsTheApiKeyWhenSet) {
  start(true, {}, "secret");
  EXPECT_EQ(client_->request("GET", "/api/models/benchmarks/comparison").status, 401);
  EXPECT_EQ(client_->request("POST", "/api/models/benchmark/stories", kSmallBody).status, 401);
  Reply r = client_->request("GET", "/api/models/benchmarks/comparison", "",
                             {{"Authorization", "Bearer secret"}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(BenchmarkRoutes, DeleteCancelsATask) {
  Gate gate;
  BenchmarkRunnerOptions ro;
  ro.on_progress = [&gate](const BenchmarkProgress& p) {
    if (p.phase == "starting") gate.wait();
  };
  start(true, ro);
  Reply r = client_->request("POST", "/api/models/benchmark/stories",
                             R"({"prompt_lengths": [8], "runs": 20})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = json::parse(r.body)["task_id"];
  EXPECT_EQ(client_->request("DELETE", "/api/models/benchmark/task/" + id).status, 200);
  gate.release();
  EXPECT_EQ(wait_task(id)["status"], "cancelled");
  EXPECT_EQ(client_->request("DELETE", "/api/models/benchmark/task/nope").status, 404);
}

TEST_F(BenchmarkRoutes, PublishesProgressAndCompletionEvents) {
  EventHub hub;
  auto socket = std::make_shared<testing::FakeSocket>();
  const EventHub::ClientId client = hub.add_client(socket);
  ASSERT_TRUE(hub.subscribe(client, "benchmarks").ok());
  BenchmarkRunnerOptions ro;
  ro.on_progress = [&hub](const BenchmarkProgress& p) { publish_benchmark_progress(&hub, p); };
  ro.on_complete = [&hub](const BenchmarkTaskStatus& s) { publish_benchmark_complete(&hub, s); };
  start(true, ro);
  Reply r = client_->request("POST", "/api/models/benchmark/stories", kSmallBody);
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = json::parse(r.body)["task_id"];
  EXPECT_EQ(wait_task(id)["status"], "succeeded");
  runner_.reset();  // every callback has returned

  std::vector<json> progress, complete;
  for (const json& m : socket->messages()) {
    if (m["type"] == "benchmark_progress") progress.push_back(m);
    if (m["type"] == "benchmark_complete") complete.push_back(m);
  }
  // starting, warm-up, two prompts, done: completed counts 0, 1, 2, 3, 3 of 3.
  ASSERT_EQ(progress.size(), 5u);
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i]["room"], "benchmarks:" + id);
    EXPECT_EQ(progress[i]["data"]["run_id"], id);
    EXPECT_EQ(progress[i]["data"]["model"], "stories");
    EXPECT_EQ(progress[i]["data"]["total"], 3);
    EXPECT_EQ(progress[i]["data"]["completed"], std::min<int>(static_cast<int>(i), 3));
  }
  EXPECT_EQ(progress[2]["data"]["phase"], "measuring");
  EXPECT_GT(progress[2]["data"]["ttft_ms"].get<double>(), 0.0);
  EXPECT_EQ(progress[4]["data"]["phase"], "done");
  ASSERT_EQ(complete.size(), 1u);
  EXPECT_EQ(complete[0]["data"]["status"], "complete");
  EXPECT_EQ(complete[0]["data"]["results"]["prompts"].size(), 2u);
  EXPECT_FALSE(complete[0]["data"].contains("error"));
}

TEST(BenchmarkEvents, FollowTheEventsDoc) {
  BenchmarkTaskStatus s;
  s.task_id = "bench-1";
  s.model_id = "m";
  s.state = BenchmarkState::kFailed;
  s.error = internal_error("forward step failed");
  json j = benchmark_complete_event(s);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["error"], "forward step failed");
  EXPECT_FALSE(j.contains("results"));
  s.state = BenchmarkState::kCancelled;
  EXPECT_EQ(benchmark_complete_event(s)["status"], "cancelled");
  BenchmarkProgress p{"bench-1", "m", "warmup", 1, 4, 8, std::nullopt};
  j = benchmark_progress_event(p);
  EXPECT_EQ(j, json({{"run_id", "bench-1"},
                     {"model", "m"},
                     {"phase", "warmup"},
                     {"completed", 1},
                     {"total", 4},
                     {"prompt_tokens", 8}}));
  publish_benchmark_progress(nullptr, p);  // no hub: nothing happens
}

}  // namespace
}  // namespace impetus
