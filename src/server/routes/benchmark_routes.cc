#include "server/routes/benchmark_routes.h"

#include <charconv>
#include <functional>
#include <optional>
#include <variant>

#include "server/api_error.h"
#include "server/events/event_hub.h"
#include "server/openai/json_fields.h"

namespace impetus {
namespace {

constexpr std::string_view kHistorySuffix = "/history";

struct Deps {
  RouteContext ctx;
  BenchStore* store = nullptr;
  BenchmarkRunner* runner = nullptr;
};

// 503 with the reason the history is not there, or null when it is.
std::optional<http::HttpResponse> store_missing(const Deps& d) {
  if (d.store != nullptr) return std::nullopt;
  const Status& why = d.runner->store_status();
  return error_response_for_http(503, "The benchmark history is not available" +
                                          (why.ok() ? std::string() : ": " + why.message()));
}

http::HttpResponse store_failed(const Status& st) {
  return error_response_for_http(503, "The benchmark history failed: " + st.message());
}

// A query parameter as an integer in [min, max]; nullopt when absent; sets `error` when malformed.
std::optional<int64_t> query_integer(const http::HttpRequest& req, const std::string& key,
                                     int64_t min, int64_t max, std::optional<ApiError>& error) {
  auto it = req.query.find(key);
  if (it == req.query.end() || it->second.empty()) return std::nullopt;
  const std::string& s = it->second;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    if (!error) {
      error = bad_param(key, "'" + key + "' must be an integer between " + std::to_string(min) +
                                 " and " + std::to_string(max));
    }
    return std::nullopt;
  }
  return v;
}

std::string query_string(const http::HttpRequest& req, const std::string& key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? "" : it->second;
}

// The body of POST /api/models/benchmark/{model_id}, or the ApiError.
std::variant<BenchmarkParams, ApiError> parse_start_body(const std::string& body_text) {
  nlohmann::json body = body_text.empty() ? nlohmann::json::object()
                                          : nlohmann::json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return bad_param("", "the body must be a JSON object");
  BenchmarkParams p;
  JsonFields f(body);
  if (const nlohmann::json* lengths = f.raw("prompt_lengths")) {
    if (!lengths->is_array() || lengths->empty() || lengths->size() > 16) {
      return bad_param("prompt_lengths", "'prompt_lengths' must be an array of 1 to 16 integers");
    }
    p.prompt_lengths.clear();
    for (const nlohmann::json& v : *lengths) {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 131072) {
        return bad_param("prompt_lengths",
                         "'prompt_lengths' entries must be integers between 1 and 131072");
      }
      p.prompt_lengths.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
  }
  if (auto v = f.integer("max_tokens", 1, 4096)) p.max_tokens = static_cast<int32_t>(*v);
  if (auto v = f.integer("runs", 1, 20)) p.runs = static_cast<int32_t>(*v);
  f.check_unknown();
  if (f.error()) return *f.error();
  return p;
}

void start_benchmark(const Deps& d, const http::HttpRequest& req, http::Responder& res) {
  const std::string model = req.path_params.at("model_id");
  auto parsed = parse_start_body(req.body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return res.respond(error_response(*e));
  if (!d.ctx.registry->find(model) && d.ctx.registry->loading() > 0) {
    return res.respond(error_response(unavailable("models are still loading; try again shortly")));
  }
  // An installed model that is not loaded yet is loaded, as for a completion.
  auto served = d.ctx.registry->find_or_load(model);
  if (!served.ok()) {
    if (served.status().code() == StatusCode::kNotFound) {
      return res.respond(error_response(ApiError{
          not_found("The model '" + model + "' does not exist"), "model", "model_not_found"}));
    }
    return res.respond(error_response(served.status()));
  }
  auto task = d.runner->start(model, served->engine, std::get<BenchmarkParams>(parsed));
  if (!task.ok()) {
    if (task.status().code() == StatusCode::kFailedPrecondition) {
      return res.respond(error_response_for_http(409, task.status().message()));
    }
    return res.respond(error_response(task.status()));
  }
  res.respond(json_response({{"task_id", *task},
                             {"status", "running"},
                             {"model_id", model},
                             {"status_url", "/api/models/benchmark/task/" + *task}},
                            202));
}

void history(const Deps& d, const std::string& model, const http::HttpRequest& req,
             http::Responder& res) {
  std::optional<ApiError> error;
  const int64_t limit = query_integer(req, "limit", 1, 1000, error).value_or(20);
  if (error) return res.respond(error_response(*error));
  if (auto missing = store_missing(d)) return res.respond(std::move(*missing));
  auto runs = d.store->history(model, limit);
  if (!runs.ok()) return res.respond(store_failed(runs.status()));
  nlohmann::json list = nlohmann::json::array();
  for (const BenchRunRecord& r : *runs) list.push_back(bench_run_json(r));
  res.respond(json_response({{"model_id", model}, {"runs", std::move(list)}}));
}

void task_status(const Deps& d, const http::HttpRequest& req, http::Responder& res) {
  const std::string id = req.path_params.at("task_id");
  auto st = d.runner->status(id);
  if (!st) {
    // "/api/models/benchmark/task/history" is the history of a model named "task".
    if (id == "history") return history(d, "task", req, res);
    return res.respond(error_response(ApiError{not_found("No benchmark task '" + id + "'"),
                                               "task_id", "benchmark_task_not_found"}));
  }
  res.respond(json_response(benchmark_status_json(*st)));
}

void comparison(const Deps& d, http::Responder& res) {
  if (auto missing = store_missing(d)) return res.respond(std::move(*missing));
  auto rows = d.store->comparison();
  if (!rows.ok()) return res.respond(store_failed(rows.status()));
  nlohmann::json list = nlohmann::json::array();
  for (const BenchComparisonRow& r : *rows) list.push_back(bench_comparison_json(r));
  res.respond(json_response({{"comparison", std::move(list)}}));
}

void export_runs(const Deps& d, const http::HttpRequest& req, http::Responder& res) {
  const std::string format = req.query.count("format") ? req.query.at("format") : "json";
  if (format != "csv" && format != "json") {
    return res.respond(error_response(bad_param("format", "'format' must be \"csv\" or \"json\"")));
  }
  BenchFilter f;
  f.model_id = query_string(req, "model");
  f.hardware_fingerprint = query_string(req, "hardware");
  f.source = query_string(req, "source");
  if (!f.source.empty() && f.source != "api" && f.source != "cli") {
    return res.respond(error_response(bad_param("source", "'source' must be \"api\" or \"cli\"")));
  }
  std::optional<ApiError> error;
  f.since_ms = query_integer(req, "since", 0, INT64_MAX, error).value_or(0);
  f.until_ms = query_integer(req, "until", 0, INT64_MAX, error).value_or(0);
  f.limit = query_integer(req, "limit", 1, 1000000, error).value_or(0);
  if (error) return res.respond(error_response(*error));
  if (auto missing = store_missing(d)) return res.respond(std::move(*missing));
  auto body = format == "csv" ? d.store->export_csv(f) : d.store->export_json(f);
  if (!body.ok()) return res.respond(store_failed(body.status()));
  http::HttpResponse r;
  r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/json";
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"impetus-benchmarks." + format + "\"");
  r.body = std::move(*body);
  res.respond(std::move(r));
}

std::string task_room(const std::string& task_id) {
  return std::string(rooms::kBenchmarks) + ":" + task_id;
}

}  // namespace

nlohmann::json benchmark_progress_event(const BenchmarkProgress& p) {
  nlohmann::json j = {{"run_id", p.task_id},
                      {"model", p.model_id},
                      {"phase", p.phase},
                      {"completed", p.step},
                      {"total", p.n_steps}};
  if (p.prompt_tokens > 0) j["prompt_tokens"] = p.prompt_tokens;
  if (p.last) {
    if (p.last->ttft_ms) j["ttft_ms"] = *p.last->ttft_ms;
    j["prompt_tokens_per_sec"] = p.last->prompt_tokens_per_sec;
    j["generated_tokens_per_sec"] = p.last->generated_tokens_per_sec;
  }
  return j;
}

nlohmann::json benchmark_complete_event(const BenchmarkTaskStatus& s) {
  const char* status = s.state == BenchmarkState::kSucceeded   ? "complete"
                       : s.state == BenchmarkState::kCancelled ? "cancelled"
                                                               : "failed";
  nlohmann::json j = {{"run_id", s.task_id}, {"model", s.model_id}, {"status", status}};
  if (s.result) {
    j["results"] = bench_run_json(*s.result);
    j["saved"] = s.saved;
    if (!s.save_error.ok()) j["save_error"] = s.save_error.message();
  }
  if (!s.error.ok()) j["error"] = s.error.message();
  return j;
}

void publish_benchmark_progress(EventHub* hub, const BenchmarkProgress& p) {
  if (hub == nullptr || p.task_id.empty()) return;
  hub->publish_lazy(task_room(p.task_id), "benchmark_progress",
                    [&] { return benchmark_progress_event(p); });
}

void publish_benchmark_complete(EventHub* hub, const BenchmarkTaskStatus& s) {
  if (hub == nullptr || s.task_id.empty()) return;
  hub->publish_lazy(task_room(s.task_id), "benchmark_complete",
                    [&] { return benchmark_complete_event(s); });
}

void add_benchmark_routes(http::Router& router, const RouteContext& ctx, BenchStore* store,
                          BenchmarkRunner& runner) {
  const Deps d{ctx, store, &runner};
  auto route =
      [&](const char* method, const char* pattern,
          std::function<void(const Deps&, const http::HttpRequest&, http::Responder&)> fn) {
        router.add(method, pattern,
                   require_api_key(
                       ctx, [d, fn](const http::HttpRequest& req,
                                    std::shared_ptr<http::Responder> res) { fn(d, req, *res); }));
      };
  route("POST", "/api/models/benchmark/{model_id*}", start_benchmark);
  route("GET", "/api/models/benchmark/task/{task_id}", task_status);
  route("DELETE", "/api/models/benchmark/task/{task_id}",
        [](const Deps& deps, const http::HttpRequest& req, http::Responder& res) {
          const std::string id = req.path_params.at("task_id");
          deps.runner->cancel(id);  // unknown ids are ignored
          auto st = deps.runner->status(id);
          if (!st) {
            return res.respond(error_response(ApiError{not_found("No benchmark task '" + id + "'"),
                                                       "task_id", "benchmark_task_not_found"}));
          }
          res.respond(json_response(benchmark_status_json(*st)));
        });
  route("GET", "/api/models/benchmark/{path*}",
        [](const Deps& deps, const http::HttpRequest& req, http::Responder& res) {
          const std::string path = req.path_params.at("path");
          if (path.size() <= kHistorySuffix.size() || !path.ends_with(kHistorySuffix)) {
            return res.respond(error_response_for_http(404, "Not found: " + req.path));
          }
          history(deps, path.substr(0, path.size() - kHistorySuffix.size()), req, res);
        });
  route("GET", "/api/models/benchmarks/comparison",
        [](const Deps& deps, const http::HttpRequest&, http::Responder& res) {
          comparison(deps, res);
        });
  route("GET", "/api/models/benchmarks/export", export_runs);
}

}  // namespace impetus
