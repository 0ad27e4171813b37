// The KV prefix-cache API: GET /api/models/cache/status,
// POST /api/models/cache/clear, GET and PUT /api/models/cache/settings.
// Each acts on every served model, or on one with "model" (query or body).
#include "server/api_error.h"
#include "server/openai/json_fields.h"
#include "server/routes/routes.h"

namespace impetus {
namespace {

// The models a request targets, or answers 404 itself.
std::optional<std::vector<ServedModel>> targets(const RouteContext& ctx, const std::string& model,
                                                http::Responder& res) {
  if (model.empty()) return ctx.registry->list();
  auto m = ctx.registry->find(model);
  if (!m) {
    res.respond(error_response(ApiError{not_found("The model '" + model + "' does not exist"),
                                        "model", "model_not_found"}));
    return std::nullopt;
  }
  return std::vector<ServedModel>{*m};
}

nlohmann::json status_json(const std::vector<ServedModel>& models) {
  nlohmann::json out = {{"enabled", false}, {"block_size", 0}, {"blocks_total", 0}, {"blocks_used", 0},
                        {"blocks_cached", 0}, {"memory_used_bytes", 0}, {"memory_max_bytes", 0}};
  uint64_t hits = 0, lookups = 0, computed = 0, reused = 0;
  auto entries = nlohmann::json::array();
  auto per_model = nlohmann::json::array();
  for (const auto& m : models) {
    const CacheStatus st = m.engine->cache_status();
    out["enabled"] = out["enabled"].get<bool>() || st.enabled;
    out["block_size"] = st.block_size;
    for (const char* k : {"blocks_total", "blocks_used", "blocks_cached"}) {
      const int64_t v = std::string(k) == "blocks_total" ? st.blocks_total
                        : std::string(k) == "blocks_used" ? st.blocks_used : st.blocks_cached;
      out[k] = out[k].get<int64_t>() + v;
    }
    out["memory_used_bytes"] = out["memory_used_bytes"].get<uint64_t>() + st.memory_used_bytes;
    out["memory_max_bytes"] = out["memory_max_bytes"].get<uint64_t>() + st.memory_max_bytes;
    hits += st.lookups_hit;
    lookups += st.lookups_hit + st.lookups_missed;
    computed += st.prompt_tokens_computed;
    reused += st.prompt_tokens_reused;
    for (const auto& c : st.conversations) {
      entries.push_back({{"model", m.id}, {"conversation_id", c.conversation_id}, {"tokens", c.tokens},
                         {"memory_bytes", c.memory_bytes}, {"age_seconds", c.age_s}});
    }
    per_model.push_back({{"model", m.id}, {"enabled", st.enabled}, {"blocks_used", st.blocks_used},
                         {"blocks_cached", st.blocks_cached}, {"prompt_tokens_computed", st.prompt_tokens_computed},
                         {"prompt_tokens_reused", st.prompt_tokens_reused}});
  }
  out["hit_rate"] = lookups > 0 ? static_cast<double>(hits) / static_cast<double>(lookups) : 0.0;
  out["prompt_tokens_computed"] = computed;
  out["prompt_tokens_reused"] = reused;
  out["entries"] = entries;
  out["models"] = per_model;
  return out;
}

nlohmann::json settings_json(const ServedModel& m) {
  const CacheSettings s = m.engine->cache_settings();
  return {{"model", m.id}, {"enabled", s.enabled}, {"memory_budget_bytes", s.memory_budget_bytes},
          {"max_pinned_conversations", s.max_pinned_conversations}};
}

std::string query_model(const http::HttpRequest& req) {
  auto it = req.query.find("model");
  return it == req.query.end() ? "" : it->second;
}

void put_settings(const RouteContext& ctx, const http::HttpRequest& req, http::Responder& res) {
  const auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return res.respond(error_response(bad_param("", "the body must be a JSON object")));
  }
  JsonFields f(body);
  const std::string model = f.string("model").value_or("");
  const auto enabled = f.boolean("enabled");
  const auto budget = f.integer("memory_budget_bytes", 0, INT64_MAX);
  const auto pins = f.integer("max_pinned_conversations", 0, 100000);
  f.check_unknown();
  if (f.error()) return res.respond(error_response(*f.error()));
  auto models = targets(ctx, model, res);
  if (!models) return;
  auto out = nlohmann::json::array();
  for (const auto& m : *models) {
    CacheSettings s = m.engine->cache_settings();
    if (enabled) s.enabled = *enabled;
    if (budget) s.memory_budget_bytes = static_cast<uint64_t>(*budget);
    if (pins) s.max_pinned_conversations = static_cast<int32_t>(*pins);
    if (Status st = m.engine->set_cache_settings(s); !st.ok()) {
      return res.respond(error_response(ApiError{st, budget ? "memory_budget_bytes" : "", ""}));
    }
    out.push_back(settings_json(m));
  }
  res.respond(json_response({{"settings", out}}));
}

}  // namespace

void add_cache_routes(http::Router& router, const RouteContext& ctx) {
  router.add("GET", "/api/models/cache/status",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               auto models = targets(ctx, query_model(req), *res);
               if (models) res->respond(json_response(status_json(*models)));
             }));
  router.add("POST", "/api/models/cache/clear",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               nlohmann::json body = req.body.empty() ? nlohmann::json::object()
                                                      : nlohmann::json::parse(req.body, nullptr, false);
               if (body.is_discarded() || !body.is_object()) {
                 return res->respond(error_response(bad_param("", "the body must be a JSON object")));
               }
               JsonFields f(body);
               const std::string model = f.string("model").value_or("");
               const std::string conv = f.string("conversation_id").value_or("");
               f.check_unknown();
               if (f.error()) return res->respond(error_response(*f.error()));
               auto models = targets(ctx, model, *res);
               if (!models) return;
               for (const auto& m : *models) m.engine->clear_cache(conv);
               res->respond(json_response({{"cleared", true},
                                           {"scope", !conv.empty() ? "conversation" : !model.empty() ? "model" : "all"}}));
             }));
  router.add("GET", "/api/models/cache/settings",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               auto models = targets(ctx, query_model(req), *res);
               if (!models) return;
               auto out = nlohmann::json::array();
               for (const auto& m : *models) out.push_back(settings_json(m));
               res->respond(json_response({{"settings", out}}));
             }));
  router.add("PUT", "/api/models/cache/settings",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               put_settings(ctx, req, *res);
             }));
}

}  // namespace impetus
