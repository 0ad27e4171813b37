// The hardware routes over a real HTTP server on 127.0.0.1: real telemetry
// for info / metrics / health, a scripted source for GPUs and heat, and a
// recording PerformanceModeTarget for the mode switch.
#include "server/routes/hardware_routes.h"

#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/http/test_client.h"

namespace impetus {
namespace {

namespace tel = telemetry;
using http::test::Client;
using http::test::Reply;
using http::test::start_server;
using nlohmann::json;
using namespace std::chrono_literals;

// A GPU at 95% and the CPU at `cpu_c` degrees.
class HotSource : public tel::SampleSource {
 public:
  explicit HotSource(double cpu_c) : cpu_c_(cpu_c) {}
  tel::Sample read() override {
    tel::Sample s;
    s.cpu.usage_percent = 20.0;
    s.cpu.per_core = {20.0, 20.0};
    s.memory.total_bytes = 16ull << 30;
    s.memory.available_bytes = 8ull << 30;
    s.memory.used_bytes = 8ull << 30;
    s.memory.percent = 50.0;
    s.sensors = {{"coretemp Package id 0", cpu_c_, 0.0, true}};
    s.cpu.temperature_c = cpu_c_;
    tel::GpuSample g;
    g.utilization_percent = 95.0;
    g.graphics_clock_mhz = 1800;
    g.memory_used_bytes = 10ull << 30;
    g.memory_total_bytes = 80ull << 30;
    g.temperature_c = 60.0;
    g.power_w = 400.0;
    s.gpus = {g};
    return s;
  }

 private:
  double cpu_c_;
};

tel::HardwareInfo fake_hardware() {
  tel::HardwareInfo hw;
  hw.cpu.model = "Scripted CPU";
  hw.cpu.n_physical_cores = 2;
  hw.cpu.n_logical_cpus = 2;
  hw.cpu.n_usable_cpus = 2;
  hw.memory_total_bytes = 16ull << 30;
  hw.gpus.resize(1);
  hw.gpus[0].name = "Scripted GPU";
  hw.gpus[0].memory_total_bytes = 80ull << 30;
  return hw;
}

// Records apply() calls; efficiency = 1 thread, balanced = 2, performance = 4.
class RecordingModes : public tel::PerformanceModeTarget {
 public:
  tel::PerformanceMode mode() const override {
    std::lock_guard lock(mu_);
    return mode_;
  }
  std::vector<std::pair<std::string, int64_t>> settings() const override {
    std::lock_guard lock(mu_);
    return {{"n_threads", threads_}, {"max_batch_tokens", batch_}};
  }
  StatusOr<std::vector<tel::SettingChange>> apply(tel::PerformanceMode m) override {
    std::lock_guard lock(mu_);
    calls_.push_back(m);
    std::vector<tel::SettingChange> changes;
    const int64_t threads = m == tel::PerformanceMode::kEfficiency ? 1 : m == tel::PerformanceMode::kBalanced ? 2 : 4;
    const int64_t batch = m == tel::PerformanceMode::kEfficiency ? 256 : 512;
    if (threads != threads_) changes.push_back({"n_threads", threads_, threads});
    if (batch != batch_) changes.push_back({"max_batch_tokens", batch_, batch});
    threads_ = threads;
    batch_ = batch;
    mode_ = m;
    return changes;
  }
  std::vector<tel::PerformanceMode> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  tel::PerformanceMode mode_ = tel::PerformanceMode::kBalanced;
  int64_t threads_ = 2, batch_ = 512;
  std::vector<tel::PerformanceMode> calls_;
};

tel::TelemetryOptions quick_options() {
  tel::TelemetryOptions o;
  o.interval = 20ms;
  o.probe_bandwidth = false;
  o.nvml_library = "";  // never the real driver in these tests
  return o;
}

struct Fixture {
  ModelRegistry registry;
  RouteContext ctx;
  std::unique_ptr<http::HttpServer> server;

  void serve(tel::Telemetry& t, tel::PerformanceModeTarget* modes, std::string api_key = "") {
    ctx.registry = &registry;
    ctx.version = "test";
    ctx.api_key = std::move(api_key);
    http::Router router;
    add_hardware_routes(router, ctx, t, modes);
    server = start_server(std::move(router));
    ASSERT_TRUE(server);
  }
};

json get_json(Client& c, const std::string& path, int expect_status = 200) {
  Reply r = c.request("GET", path);
  EXPECT_EQ(r.status, expect_status) << path << ": " << r.body;
  return json::parse(r.body, nullptr, false);
}

TEST(HardwareRoutes, RealTelemetryInfoMetricsAndHealth) {
  tel::Telemetry t(quick_options());
  t.start();
  Fixture f;
  f.serve(t, nullptr);
  Client c(f.server->port());

  json info = get_json(c, "/api/hardware/info");
  EXPECT_FALSE(info["cpu"]["brand"].get<std::string>().empty());
  EXPECT_GE(info["cpu"]["cores_physical"].get<int>(), 1);
  EXPECT_GT(info["total_memory_gb"].get<double>(), 0.0);
  EXPECT_GT(info["available_memory_gb"].get<double>(), 0.0);
  EXPECT_EQ(info["platform"], "Linux");
  EXPECT_TRUE(info["gpus"].empty());
  EXPECT_EQ(info["fingerprint"].get<std::string>().size(), 16u);

  // The first sample predates the sampler and server threads; wait for a later one.
  ASSERT_TRUE(http::test::eventually([&] { return t.history().size() >= 2; }, 5s));
  json m = get_json(c, "/api/hardware/metrics");
  EXPECT_GT(m["timestamp"].get<double>(), 1.6e9);
  EXPECT_GE(m["cpu"]["usage_percent"].get<double>(), 0.0);
  EXPECT_EQ(m["cpu"]["usage_per_core"].size(), static_cast<size_t>(info["cpu_count"].get<int>()));
  EXPECT_GT(m["memory"]["total_gb"].get<double>(), 0.0);
  EXPECT_GE(m["process"]["threads"].get<int>(), 2);  // at least the sampler and the server threads
  EXPECT_GT(m["process"]["memory_mb"].get<double>(), 1.0);
  EXPECT_TRUE(m["gpu"].is_null());
  EXPECT_TRUE(m["thermal_state"].is_string());

  // No NVML: GPU metrics answer 404 in the OpenAI error shape.
  json g = get_json(c, "/api/hardware/gpu/metrics", 404);
  EXPECT_TRUE(g["error"]["message"].is_string());

  json h = get_json(c, "/api/health/status");
  EXPECT_TRUE(h["status"] == "healthy" || h["status"] == "degraded" || h["status"] == "unhealthy") << h;
  EXPECT_EQ(h["version"], "test");
  EXPECT_GE(h["uptime_seconds"].get<int64_t>(), 0);
  std::vector<std::string> names;
  for (const auto& comp : h["components"]) names.push_back(comp["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"system", "telemetry", "models"}));
  EXPECT_EQ(h["components"][1]["status"], "healthy");   // the sampler is running and fresh
  EXPECT_EQ(h["components"][2]["status"], "degraded");  // no model loaded
  EXPECT_TRUE(h["models"].empty());

  json opt = get_json(c, "/api/hardware/optimization");
  EXPECT_TRUE(opt["current_performance_mode"].is_null());
  EXPECT_TRUE(opt["recommendations"].is_array());
  EXPECT_GE(opt["hardware_capabilities"]["recommended_threads"].get<int>(), 1);

  // Without a target the mode cannot change.
  Reply r = c.request("POST", "/api/hardware/performance-mode", R"({"mode": "efficiency"})");
  EXPECT_EQ(r.status, 503) << r.body;
  t.stop();
}

TEST(HardwareRoutes, PerformanceModeCallsTheTarget) {
  tel::Telemetry t(quick_options(), fake_hardware(), std::make_unique<HotSource>(40.0));
  RecordingModes modes;
  Fixture f;
  f.serve(t, &modes);
  Client c(f.server->port());

  Reply r = c.request("POST", "/api/hardware/performance-mode", R"({"mode": "efficiency"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["mode"], "efficiency");
  EXPECT_EQ(j["settings"]["n_threads"], 1);
  EXPECT_EQ(j["settings"]["max_batch_tokens"], 256);
  ASSERT_EQ(j["changed"].size(), 2u);
  EXPECT_EQ(j["changed"][0], json({{"setting", "n_threads"}, {"before", 2}, {"after", 1}}));
  EXPECT_EQ(modes.calls(), std::vector<tel::PerformanceMode>{tel::PerformanceMode::kEfficiency});

  // The same mode again changes nothing.
  r = c.request("POST", "/api/hardware/performance-mode", R"({"mode": "efficiency"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body)["changed"].empty());

  // Bad requests never reach the target.
  for (const char* body : {R"({"mode": "turbo"})", R"({"mode": "Performance"})", R"({"mode": 3})", R"({})",
                           R"({"mode": "balanced", "extra": 1})", "not json", "[]"}) {
    r = c.request("POST", "/api/hardware/performance-mode", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    json e = json::parse(r.body, nullptr, false);
    EXPECT_EQ(e["error"]["type"], "invalid_request_error") << body;
  }
  EXPECT_EQ(modes.calls().size(), 2u);
  r = c.request("POST", "/api/hardware/performance-mode", R"({"mode": "turbo"})");
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "mode");

  r = c.request("POST", "/api/hardware/performance-mode", R"({"mode": "performance"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(modes.mode(), tel::PerformanceMode::kPerformance);
  EXPECT_EQ(json::parse(r.body)["settings"]["n_threads"], 4);
}

TEST(HardwareRoutes, ScriptedGpuAndHeat) {
  tel::Telemetry t(quick_options(), fake_hardware(), std::make_unique<HotSource>(96.0));
  RecordingModes modes;
  Fixture f;
  f.serve(t, &modes);
  Client c(f.server->port());
  // Before start() the routes take a sample themselves.
  json g = get_json(c, "/api/hardware/gpu/metrics");
  EXPECT_DOUBLE_EQ(g["current"]["gpu_utilization_percent"].get<double>(), 95.0);
  EXPECT_EQ(g["current"]["gpu_frequency_mhz"], 1800);
  EXPECT_EQ(g["gpus"][0]["name"], "Scripted GPU");
  t.start();
  ASSERT_TRUE(http::test::eventually([&] { return t.history().size() >= 3; }, 5s));
  g = get_json(c, "/api/hardware/gpu/metrics");
  EXPECT_GE(g["history_size"].get<int>(), 3);
  EXPECT_DOUBLE_EQ(g["average_1min"]["gpu_utilization_percent"].get<double>(), 95.0);
  EXPECT_DOUBLE_EQ(g["peak"]["power_watts"].get<double>(), 400.0);

  json m = get_json(c, "/api/hardware/metrics");
  EXPECT_EQ(m["thermal_state"], "critical");
  EXPECT_DOUBLE_EQ(m["gpu"]["utilization_percent"].get<double>(), 95.0);

  json opt = get_json(c, "/api/hardware/optimization");
  EXPECT_EQ(opt["current_performance_mode"], "balanced");
  EXPECT_EQ(opt["settings"]["n_threads"], 2);
  bool efficiency = false;
  for (const auto& rec : opt["recommendations"]) efficiency = efficiency || rec["action"] == "set_efficiency_mode";
  EXPECT_TRUE(efficiency) << opt.dump(2);

  json h = get_json(c, "/api/health/status");
  EXPECT_EQ(h["system"]["thermal_state"], "critical");
  EXPECT_EQ(h["system"]["status"], "degraded");
  EXPECT_EQ(h["components"].size(), 4u);  // system, telemetry, models, gpu
  EXPECT_LE(h["health_score"].get<double>(), 50.0);  // -40 critical, -10 no model
  t.stop();
}

TEST(HardwareRoutes, ApiKeyGuardsHardwareButNotHealth) {
  tel::Telemetry t(quick_options(), fake_hardware(), std::make_unique<HotSource>(40.0));
  Fixture f;
  f.serve(t, nullptr, "secret");
  Client c(f.server->port());
  EXPECT_EQ(c.request("GET", "/api/hardware/info").status, 401);
  EXPECT_EQ(c.request("POST", "/api/hardware/performance-mode", R"({"mode": "balanced"})").status, 401);
  EXPECT_EQ(c.request("GET", "/api/hardware/info", "", {{"Authorization", "Bearer secret"}}).status, 200);
  EXPECT_EQ(c.request("GET", "/api/health/status").status, 200);
}

}  // namespace
}  // namespace impetus
