// /v1/chat/completions, /v1/completions, /v1/models.
#include <chrono>

#include "server/api_error.h"
#include "server/chat_prompt.h"
#include "server/openai/chat_request.h"
#include "server/openai/completion_request.h"
#include "server/routes/generation_job.h"
#include "server/routes/model_routes.h"
#include "server/routes/routes.h"

namespace impetus {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Parses the body; answers 400 itself when it is not JSON.
bool parse_body(const http::HttpRequest& req, http::Responder& res, nlohmann::json* out) {
  *out = nlohmann::json::parse(req.body, nullptr, false);
  if (out->is_discarded()) {
    res.respond(error_response(ApiError{
        invalid_argument("We could not parse the JSON body of your request: it is not valid JSON."),
        "", "invalid_json"}));
    return false;
  }
  return true;
}

// The served model named in the request, or answers 400/404/503 itself.
std::optional<ServedModel> find_model(const RouteContext& ctx, const std::string& id,
                                      http::Responder& res) {
  if (id.empty()) {
    res.respond(error_response(bad_param("model", "'model' is required")));
    return std::nullopt;
  }
  if (auto m = ctx.registry->find(id)) return m;
  if (ctx.registry->loading() > 0) {
    res.respond(error_response(unavailable("models are still loading; try again shortly")));
    return std::nullopt;
  }
  // An installed model that is not loaded loads on demand.
  auto loaded = ctx.registry->find_or_load(id);
  if (loaded.ok()) return *loaded;
  if (loaded.status().code() == StatusCode::kNotFound) {
    res.respond(error_response(ApiError{loaded.status(), "model", "model_not_found"}));
  } else {
    res.respond(model_error_response(loaded.status(), "model"));
  }
  return std::nullopt;
}

ResponseHeader header_for(const RouteContext& ctx, ApiKind kind, const std::string& model) {
  return {kind, new_response_id(kind), unix_now(), model, "fp_impetus_" + ctx.version};
}

GenerationTelemetry telemetry_for(const RouteContext& ctx, const http::HttpRequest& req) {
  return {ctx.events, ctx.metrics, req.request_id};
}

void chat_completions(const RouteContext& ctx, const http::HttpRequest& req,
                      std::shared_ptr<http::Responder> res) {
  nlohmann::json body;
  if (!parse_body(req, *res, &body)) return;
  ApiError err;
  auto r = parse_chat_request(body, &err);
  if (!r.ok()) return res->respond(error_response(err));
  auto model = find_model(ctx, r->gen.model, *res);
  if (!model) return;
  r->gen.conversation_id = r->conversation_id;
  auto prompt = chat_prompt_tokens(*model, r->messages);
  if (!prompt.ok()) return res->respond(error_response(ApiError{prompt.status(), "messages", ""}));
  GenerationJob::start(*model->engine, header_for(ctx, ApiKind::kChat, model->id), r->gen,
                       std::move(*prompt), "", std::move(res), telemetry_for(ctx, req));
}

void completions(const RouteContext& ctx, const http::HttpRequest& req,
                 std::shared_ptr<http::Responder> res) {
  nlohmann::json body;
  if (!parse_body(req, *res, &body)) return;
  ApiError err;
  auto r = parse_completion_request(body, &err);
  if (!r.ok()) return res->respond(error_response(err));
  auto model = find_model(ctx, r->gen.model, *res);
  if (!model) return;
  const Tokenizer& tok = model->engine->tokenizer();
  std::vector<int32_t> prompt = r->prompt_ids.empty() ? text_prompt_tokens(*model, r->prompt) : r->prompt_ids;
  for (int32_t t : prompt) {
    if (t >= tok.n_vocab()) {
      return res->respond(error_response(bad_param("prompt", "token id " + std::to_string(t) +
                                                                 " is outside the vocabulary")));
    }
  }
  std::string prefix;
  if (r->echo) prefix = r->prompt_ids.empty() ? r->prompt : tok.decode(r->prompt_ids);
  GenerationJob::start(*model->engine, header_for(ctx, ApiKind::kCompletion, model->id), r->gen,
                       std::move(prompt), std::move(prefix), std::move(res), telemetry_for(ctx, req));
}

nlohmann::json model_json(const ServedModel& m) {
  const EngineInfo info = m.engine->info();
  return {{"id", m.id},
          {"object", "model"},
          {"created", m.created},
          {"owned_by", "impetus"},
          {"meta", {{"architecture", info.architecture},
                    {"context_length", info.n_ctx},
                    {"n_vocab", info.n_vocab},
                    {"weight_bytes", info.weight_bytes},
                    {"path", info.model_path},
                    {"chat_template", m.chat_template_source}}}};
}

}  // namespace

void add_openai_routes(http::Router& router, const RouteContext& ctx) {
  router.add("POST", "/v1/chat/completions",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               chat_completions(ctx, req, std::move(res));
             }));
  router.add("POST", "/v1/completions",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               completions(ctx, req, std::move(res));
             }));
  router.add("GET", "/v1/models",
             require_api_key(ctx, [ctx](const http::HttpRequest&, std::shared_ptr<http::Responder> res) {
               auto data = nlohmann::json::array();
               for (const auto& m : ctx.registry->list()) data.push_back(model_json(m));
               res->respond(json_response({{"object", "list"}, {"data", data}}));
             }));
  router.add("GET", "/v1/models/{id*}",
             require_api_key(ctx, [ctx](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
               const std::string id = req.path_params.at("id");
               auto m = ctx.registry->find(id);
               if (!m) {
                 return res->respond(error_response(ApiError{
                     not_found("The model '" + id + "' does not exist"), "model", "model_not_found"}));
               }
               res->respond(json_response(model_json(*m)));
             }));
}

}  // namespace impetus
