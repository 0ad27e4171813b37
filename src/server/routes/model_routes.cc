#include "server/routes/model_routes.h"

#include "server/api_error.h"
#include "server/openai/json_fields.h"

namespace impetus {
namespace {

nlohmann::json entry_json(const ModelListEntry& e) {
  return {{"id", e.id}, {"model_id", e.id}, {"path", e.path}, {"size_bytes", e.size_bytes},
          {"size_gb", static_cast<double>(e.size_bytes) / 1e9}, {"quantization", e.quantization},
          {"status", e.status}, {"loaded", e.status == "loaded"}, {"memory_bytes", e.memory_bytes},
          {"memory_gb", static_cast<double>(e.memory_bytes) / 1e9}, {"use_mmap", e.use_mmap},
          {"warmed_up", e.warmed_up}, {"loaded_at", e.loaded_at}, {"last_used", e.last_used}};
}

nlohmann::json warmup_json(const WarmupInfo& w) {
  return {{"model_id", w.id}, {"status", w.status}, {"warmup_time_ms", w.warmup_ms},
          {"first_token_ms", w.first_token_ms},
          {"error", w.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(w.error)}};
}

// Parses a JSON object body (empty = {}); answers 400 itself otherwise.
std::optional<nlohmann::json> object_body(const http::HttpRequest& req, http::Responder& res) {
  auto body = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    res.respond(error_response(bad_param("", "the body must be a JSON object")));
    return std::nullopt;
  }
  return body;
}

// The model id of a body or path, validated; answers 400 itself when bad.
std::optional<std::string> checked_id(const std::string& id, http::Responder& res) {
  if (id.empty()) {
    res.respond(error_response(bad_param("model_id", "'model_id' is required")));
    return std::nullopt;
  }
  if (!is_safe_model_id(id)) {
    res.respond(error_response(bad_param(
        "model_id", "'" + id + "' is not a valid model id (letters, digits, '-', '_', '.', ':'; no paths)")));
    return std::nullopt;
  }
  return id;
}

void load(ModelControl& control, const http::HttpRequest& req, http::Responder& res) {
  auto body = object_body(req, res);
  if (!body) return;
  JsonFields f(*body);
  const std::string raw_id = f.string("model_id").value_or("");
  ModelLoadOptions o;
  o.auto_warmup = f.boolean("auto_warmup").value_or(false);
  o.use_mmap = f.boolean("use_mmap").value_or(true);
  f.check_unknown();
  if (f.error()) return res.respond(error_response(*f.error()));
  auto id = checked_id(raw_id, res);
  if (!id) return;
  auto loaded = control.load(*id, o);
  if (!loaded.ok()) return res.respond(model_error_response(loaded.status(), "model_id"));
  res.respond(json_response({{"status", "loaded"}, {"model_id", *id}, {"model", entry_json(*loaded)}}));
}

void unload(ModelControl& control, const http::HttpRequest& req, http::Responder& res) {
  auto body = object_body(req, res);
  if (!body) return;
  JsonFields f(*body);
  const std::string raw_id = f.string("model_id").value_or("");
  f.check_unknown();
  if (f.error()) return res.respond(error_response(*f.error()));
  auto id = checked_id(raw_id, res);
  if (!id) return;
  if (Status s = control.unload(*id); !s.ok()) return res.respond(model_error_response(s, "model_id"));
  res.respond(json_response({{"status", "unloaded"}, {"model_id", *id}}));
}

}  // namespace

http::HttpResponse model_error_response(const Status& status, const std::string& param) {
  if (status.code() == StatusCode::kResourceExhausted) {
    return error_response_for_http(507, status.message());
  }
  if (status.code() == StatusCode::kNotFound) {
    return error_response(ApiError{status, param, "model_not_found"});
  }
  return error_response(ApiError{status, param, ""});
}

void add_model_routes(http::Router& router, const RouteContext& ctx, ModelControl& control) {
  using Req = const http::HttpRequest&;
  using Res = std::shared_ptr<http::Responder>;
  ModelControl* c = &control;
  router.add("GET", "/api/models/list", require_api_key(ctx, [c](Req, Res res) {
               auto models = nlohmann::json::array();
               int loaded = 0;
               for (const auto& e : c->list()) {
                 loaded += e.status == "loaded";
                 models.push_back(entry_json(e));
               }
               res->respond(json_response({{"models", models}, {"loaded_count", loaded}, {"limits", c->limits()}}));
             }));
  router.add("POST", "/api/models/load", require_api_key(ctx, [c](Req req, Res res) { load(*c, req, *res); }));
  router.add("POST", "/api/models/unload", require_api_key(ctx, [c](Req req, Res res) { unload(*c, req, *res); }));
  router.add("POST", "/api/models/warmup/{id}", require_api_key(ctx, [c](Req req, Res res) {
               auto id = checked_id(req.path_params.at("id"), *res);
               if (!id) return;
               auto w = c->warmup(*id);
               if (!w.ok()) return res->respond(model_error_response(w.status(), "model_id"));
               res->respond(json_response(warmup_json(*w)));
             }));
  router.add("GET", "/api/models/warmup/status", require_api_key(ctx, [c](Req, Res res) {
               nlohmann::json out = nlohmann::json::object();
               for (const auto& w : c->warmup_status()) out[w.id] = warmup_json(w);
               res->respond(json_response({{"models", out}}));
             }));
  router.add("POST", "/api/models/warmup/{id}/benchmark", require_api_key(ctx, [c](Req req, Res res) {
               auto id = checked_id(req.path_params.at("id"), *res);
               if (!id) return;
               auto b = c->warmup_benchmark(*id);
               if (!b.ok()) return res->respond(model_error_response(b.status(), "model_id"));
               res->respond(json_response(*b));
             }));
  router.add("GET", "/api/models/mmap/status", require_api_key(ctx, [c](Req, Res res) {
               res->respond(json_response(c->mmap_status()));
             }));
  router.add("POST", "/api/models/mmap/benchmark", require_api_key(ctx, [c](Req req, Res res) {
               auto body = object_body(req, *res);
               if (!body) return;
               JsonFields f(*body);
               const std::string raw_id = f.string("model_id").value_or("");
               f.check_unknown();
               if (f.error()) return res->respond(error_response(*f.error()));
               auto id = checked_id(raw_id, *res);
               if (!id) return;
               auto b = c->mmap_benchmark(*id);
               if (!b.ok()) return res->respond(model_error_response(b.status(), "model_id"));
               res->respond(json_response(*b));
             }));
}

}  // namespace impetus
