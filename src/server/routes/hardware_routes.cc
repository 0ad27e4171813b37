#include "server/routes/hardware_routes.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "server/api_error.h"
#include "server/openai/json_fields.h"
#include "telemetry/telemetry_json.h"

namespace impetus {
namespace {

namespace tel = telemetry;
using nlohmann::json;

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso8601_utc(int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm parts{};
  gmtime_r(&t, &parts);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buf;
}

std::vector<tel::ModelFootprint> model_footprints(const RouteContext& ctx) {
  std::vector<tel::ModelFootprint> out;
  if (!ctx.registry) return out;
  for (const auto& m : ctx.registry->list()) {
    const EngineInfo info = m.engine->info();
    const bool gpu = info.backend.find("cuda") != std::string::npos || info.backend.find("gpu") != std::string::npos;
    out.push_back({m.id, info.weight_bytes, info.kv_cache_bytes, gpu});
  }
  return out;
}

// The latest sample, or one taken now (before the sampler has started).
tel::Sample current_sample(tel::Telemetry& t) {
  if (auto s = t.latest()) return *s;
  return t.sampler().sample_now();
}

void optimization(const RouteContext& ctx, tel::Telemetry& t, tel::PerformanceModeTarget* modes,
                  http::Responder& res) {
  const tel::HardwareInfo hw = t.hardware();
  const tel::Sample s = current_sample(t);
  tel::RecommendationInputs in;
  in.hardware = &hw;
  in.latest = &s;
  in.models = model_footprints(ctx);
  if (modes) {
    in.mode = modes->mode();
    in.settings = modes->settings();
  }
  tel::OptimizationView v{&hw, tel::recommend(in), in.mode, in.settings, in.models};
  res.respond(json_response(tel::optimization_json(v)));
}

void performance_mode(tel::PerformanceModeTarget* modes, const http::HttpRequest& req, http::Responder& res) {
  const auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return res.respond(error_response(bad_param("", "the body must be a JSON object")));
  }
  JsonFields f(body);
  const auto name = f.string("mode");
  f.check_unknown();
  if (f.error()) return res.respond(error_response(*f.error()));
  if (!name) return res.respond(error_response(bad_param("mode", "mode is required")));
  const auto mode = tel::parse_performance_mode(*name);
  if (!mode) {
    return res.respond(error_response(
        bad_param("mode", "Invalid performance mode '" + *name + "': use efficiency, balanced or performance")));
  }
  if (!modes) {
    return res.respond(error_response(unavailable("performance modes are not available on this server")));
  }
  auto changes = modes->apply(*mode);
  if (!changes.ok()) return res.respond(error_response(ApiError{changes.status(), "mode", ""}));
  res.respond(json_response(tel::performance_mode_json(*mode, modes->settings(), *changes)));
}

struct HealthParts {
  json components = json::array();
  double score = 100.0;
};

json system_component(const tel::Sample& s, HealthParts& h) {
  const bool hot = s.thermal_state >= tel::ThermalState::kSerious;
  const bool busy = s.cpu.usage_percent > 80.0 || s.memory.percent > 90.0;
  if (s.cpu.usage_percent > 80.0) h.score -= 20;
  if (s.memory.percent > 90.0) h.score -= 30;
  if (s.thermal_state == tel::ThermalState::kSerious) h.score -= 20;
  if (s.thermal_state == tel::ThermalState::kCritical) h.score -= 40;
  char msg[96];
  std::snprintf(msg, sizeof(msg), "CPU: %.1f%%, Memory: %.1f%%", s.cpu.usage_percent, s.memory.percent);
  return {{"name", "system"},
          {"status", hot || busy ? "degraded" : "healthy"},
          {"message", msg},
          {"cpu_usage_percent", s.cpu.usage_percent},
          {"memory_usage_percent", s.memory.percent},
          {"thermal_state", tel::thermal_state_name(s.thermal_state)},
          {"load_average", s.cpu.load_average}};
}

json telemetry_component(tel::Telemetry& t, const tel::Sample& s, HealthParts& h) {
  const double age_s = static_cast<double>(unix_ms_now() - s.timestamp_ms) / 1000.0;
  const double max_age_s = 3.0 * static_cast<double>(t.options().interval.count()) / 1000.0 + 1.0;
  const bool fresh = t.sampling() && age_s <= max_age_s;
  if (!fresh) h.score -= 10;
  return {{"name", "telemetry"},
          {"status", fresh ? "healthy" : "degraded"},
          {"message", t.sampling() ? "sampling" : "the sampler is not running"},
          {"last_sample_age_seconds", age_s},
          {"nvml", t.has_nvml()}};
}

json models_component(const RouteContext& ctx, json& models, HealthParts& h) {
  const auto list = ctx.registry ? ctx.registry->list() : std::vector<ServedModel>{};
  const int loading = ctx.registry ? ctx.registry->loading() : 0;
  for (const auto& m : list) {
    const EngineStats st = m.engine->stats();
    models.push_back({{"model_id", m.id}, {"status", "healthy"}, {"load_status", "loaded"},
                      {"backend", m.engine->info().backend}, {"requests_running", st.requests_running},
                      {"requests_waiting", st.requests_waiting}, {"inference_count", st.requests_total}});
  }
  if (list.empty()) h.score -= 10;
  const std::string status = list.empty() || loading > 0 ? "degraded" : "healthy";
  return {{"name", "models"},
          {"status", status},
          {"message", std::to_string(list.size()) + " loaded, " + std::to_string(loading) + " loading"},
          {"models_loaded", list.size()},
          {"models_loading", loading}};
}

json gpu_component(const tel::Sample& s, HealthParts& h) {
  bool slow = false, full = false;
  for (const auto& g : s.gpus) {
    slow = slow || tel::throttle_is_hw_slowdown(g.throttle_reasons);
    full = full || (g.memory_total_bytes > 0 && g.memory_used_bytes * 100 >= g.memory_total_bytes * 95);
  }
  if (slow) h.score -= 10;
  return {{"name", "gpu"},
          {"status", slow || full ? "degraded" : "healthy"},
          {"message", std::to_string(s.gpus.size()) + " GPU(s)" + (slow ? ", clocks slowed down" : "") +
                          (full ? ", memory nearly full" : "")},
          {"gpu_count", s.gpus.size()}};
}

json health_status(const RouteContext& ctx, tel::Telemetry& t) {
  const tel::Sample s = current_sample(t);
  HealthParts h;
  const json system = system_component(s, h);
  h.components.push_back(system);
  h.components.push_back(telemetry_component(t, s, h));
  json models = json::array();
  h.components.push_back(models_component(ctx, models, h));
  if (!s.gpus.empty()) h.components.push_back(gpu_component(s, h));
  const double score = std::max(0.0, h.score);
  const char* status = score < 40 ? "unhealthy" : score < 70 ? "degraded" : "healthy";
  const int64_t now_s = unix_ms_now() / 1000;
  const int64_t started = ctx.started > 0 ? ctx.started : t.started_at();
  return {{"status", status},
          {"timestamp", iso8601_utc(now_s)},
          {"version", ctx.version},
          {"uptime_seconds", now_s - started},
          {"health_score", score},
          {"components", h.components},
          {"system", system},
          {"models", models}};
}

using HandlerFn = std::function<void(const http::HttpRequest&, http::Responder&)>;

http::Handler wrap(HandlerFn fn) {
  return [fn = std::move(fn)](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) { fn(req, *res); };
}

}  // namespace

void add_hardware_routes(http::Router& router, const RouteContext& ctx, telemetry::Telemetry& telemetry,
                         telemetry::PerformanceModeTarget* modes) {
  tel::Telemetry* t = &telemetry;
  router.add("GET", "/api/hardware/info", require_api_key(ctx, wrap([t](const http::HttpRequest&, http::Responder& res) {
               const tel::Sample s = current_sample(*t);
               res.respond(json_response(tel::hardware_info_json(t->hardware(), &s)));
             })));
  router.add("GET", "/api/hardware/metrics",
             require_api_key(ctx, wrap([t](const http::HttpRequest&, http::Responder& res) {
               res.respond(json_response(tel::metrics_json(current_sample(*t), t->hardware())));
             })));
  router.add("GET", "/api/hardware/gpu/metrics",
             require_api_key(ctx, wrap([t](const http::HttpRequest&, http::Responder& res) {
               auto history = t->history();
               if (history.empty()) history.push_back(current_sample(*t));
               if (history.back().gpus.empty()) {
                 return res.respond(error_response(not_found("No NVIDIA GPU detected (NVML unavailable)")));
               }
               res.respond(json_response(tel::gpu_metrics_json(history, t->hardware())));
             })));
  router.add("GET", "/api/hardware/optimization",
             require_api_key(ctx, wrap([ctx, t, modes](const http::HttpRequest&, http::Responder& res) {
               optimization(ctx, *t, modes, res);
             })));
  router.add("POST", "/api/hardware/performance-mode",
             require_api_key(ctx, wrap([modes](const http::HttpRequest& req, http::Responder& res) {
               performance_mode(modes, req, res);
             })));
  router.add("GET", "/api/health/status", wrap([ctx, t](const http::HttpRequest&, http::Responder& res) {
               res.respond(json_response(health_status(ctx, *t)));
             }));
}

}  // namespace impetus
