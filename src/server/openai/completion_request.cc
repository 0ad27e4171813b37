#include "server/openai/completion_request.h"

namespace impetus {
namespace {

void read_prompt(JsonFields& f, CompletionRequest* r) {
  const nlohmann::json* p = f.raw("prompt");
  if (!p) {
    f.fail(bad_param("prompt", "'prompt' is required"));
    return;
  }
  const nlohmann::json* one = p;
  if (p->is_array() && !p->empty() && (p->front().is_string() || p->front().is_array())) {
    if (p->size() != 1) {
      f.fail({unimplemented("a list of several prompts is not supported; send one request per prompt"),
              "prompt", "unsupported_parameter"});
      return;
    }
    one = &p->front();
  }
  if (one->is_string()) {
    r->prompt = one->get<std::string>();
    return;
  }
  if (one->is_array() && !one->empty()) {
    for (const auto& t : *one) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX) {
        f.fail(bad_param("prompt", "a token prompt must be an array of token ids"));
        return;
      }
      r->prompt_ids.push_back(t.get<int32_t>());
    }
    return;
  }
  f.fail(bad_param("prompt", "'prompt' must be a string, a list with one string, or token ids"));
}

}  // namespace

StatusOr<CompletionRequest> parse_completion_request(const nlohmann::json& body, ApiError* error) {
  if (!body.is_object()) {
    *error = bad_param("", "the request body must be a JSON object");
    return error->status;
  }
  CompletionRequest r;
  JsonFields f(body);
  read_generation_params(f, {"max_tokens"}, &r.gen);
  if (!r.gen.max_tokens && !body.contains("max_tokens")) r.gen.max_tokens = 16;  // OpenAI's default
  read_prompt(f, &r);
  if (auto lp = f.integer("logprobs", 0, 20)) r.gen.logprobs = static_cast<int32_t>(*lp);
  r.echo = f.boolean("echo").value_or(false);
  if (r.echo && r.gen.logprobs >= 0) {
    f.fail({unimplemented("'echo' together with 'logprobs' is not supported"), "echo",
            "unsupported_parameter"});
  }
  if (auto best_of = f.integer("best_of", 1, 128); best_of && *best_of != r.gen.n) {
    f.fail({unimplemented("'best_of' different from 'n' is not supported"), "best_of",
            "unsupported_parameter"});
  }
  f.unsupported("suffix", "insertion (suffix) is not supported");
  f.check_unknown();
  if (f.error()) {
    *error = *f.error();
    return error->status;
  }
  return r;
}

}  // namespace impetus
