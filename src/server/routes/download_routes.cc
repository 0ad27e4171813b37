#include "server/routes/download_routes.h"

#include <cmath>
#include <ctime>

#include "server/api_error.h"
#include "server/openai/json_fields.h"

namespace impetus {
namespace {

nlohmann::json iso_time(int64_t unix_s) {
  if (unix_s <= 0) return nullptr;
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Rounded to 1/scale; dividing an integer prints as the short decimal.
double round_to(double v, double scale) { return std::round(v * scale) / scale; }

// An error answer with an explicit HTTP status and code.
http::HttpResponse status_error(int http_status, const std::string& message,
                                const std::string& code) {
  http::HttpResponse r = error_response_for_http(http_status, message);
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_discarded() && body.contains("error")) {
    body["error"]["code"] = code;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return r;
}

http::HttpResponse submit_error(const Status& st) {
  switch (st.code()) {
    case StatusCode::kResourceExhausted:
      return status_error(507, st.message(), "insufficient_storage");
    case StatusCode::kFailedPrecondition:
      return status_error(403, st.message(), "hub_access_denied");
    case StatusCode::kNotFound:
      return error_response(ApiError{st, "model_id", "model_not_found"});
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnimplemented:
      return error_response(ApiError{st, "model_id", ""});
    default:
      return error_response(st);
  }
}

http::HttpResponse unknown_task(const std::string& id) {
  return error_response(
      ApiError{not_found("no download task '" + id + "'"), "task_id", "download_not_found"});
}

void post_download(DownloadManager& dm, const http::HttpRequest& req,
                   std::shared_ptr<http::Responder> res) {
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return res->respond(error_response(bad_param("", "the body must be a JSON object")));
  }
  JsonFields f(body);
  DownloadRequest r;
  r.model_id = f.string("model_id").value_or("");
  r.quantization = f.string("quantization").value_or("");
  r.auto_load = f.boolean("auto_load").value_or(false);
  f.check_unknown();
  if (f.error()) return res->respond(error_response(*f.error()));
  if (r.model_id.empty())
    return res->respond(error_response(bad_param("model_id", "model_id is required")));
  // Resolution asks the Hub: it runs on the manager's thread, not this I/O thread.
  dm.submit_async(std::move(r), [res](StatusOr<DownloadTask> task) {
    if (!task.ok()) return res->respond(submit_error(task.status()));
    res->respond(json_response(download_task_json(*task)));
  });
}

}  // namespace

nlohmann::json download_task_json(const DownloadTask& t) {
  nlohmann::json eta = nullptr;
  if (t.eta_s >= 0) eta = static_cast<int64_t>(std::llround(t.eta_s));
  return {{"task_id", t.task_id},
          {"model_id", t.model_id},
          {"status", std::string(download_status_name(t.status))},
          {"progress", round_to(t.progress_percent(), 100)},
          {"downloaded_gb", static_cast<double>(t.downloaded_bytes) / 1e9},
          {"total_gb", static_cast<double>(t.total_bytes) / 1e9},
          {"speed_mbps", round_to(t.speed_bps / 1e6, 1000)},
          {"eta_seconds", eta},
          {"error", t.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.error)},
          {"started_at", iso_time(t.started_at)},
          {"completed_at", iso_time(t.completed_at)}};
}

void add_download_routes(http::Router& router, const RouteContext& ctx,
                         DownloadManager& downloads) {
  DownloadManager* dm = &downloads;
  router.add("POST", "/api/models/download",
             require_api_key(
                 ctx, [dm](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
                   post_download(*dm, req, std::move(res));
                 }));
  router.add("GET", "/api/models/download/{task_id}",
             require_api_key(
                 ctx, [dm](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
                   const std::string& id = req.path_params.at("task_id");
                   auto task = dm->get(id);
                   res->respond(task ? json_response(download_task_json(*task)) : unknown_task(id));
                 }));
  router.add(
      "DELETE", "/api/models/download/{task_id}",
      require_api_key(
          ctx, [dm](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
            const std::string& id = req.path_params.at("task_id");
            auto task = dm->cancel(id);
            res->respond(task.ok() ? json_response(download_task_json(*task)) : unknown_task(id));
          }));
  router.add(
      "GET", "/api/models/downloads",
      require_api_key(ctx, [dm](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
        auto list = nlohmann::json::array();
        for (const auto& t : dm->list()) list.push_back(download_task_json(t));
        res->respond(json_response({{"downloads", list}}));
      }));
}

}  // namespace impetus
