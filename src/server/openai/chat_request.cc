#include "server/openai/chat_request.h"

namespace impetus {
namespace {

// Content: a string, or an array of {"type": "text", "text": ...} parts.
bool read_content(const nlohmann::json& content, std::string* out, std::string* why) {
  if (content.is_string()) {
    *out = content.get<std::string>();
    return true;
  }
  if (!content.is_array()) {
    *why = "must be a string or an array of content parts";
    return false;
  }
  for (const auto& part : content) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      *why = "has a content part without a type";
      return false;
    }
    const std::string type = part["type"].get<std::string>();
    if (type != "text") {
      *why = "has a '" + type + "' content part; only text is supported";
      return false;
    }
    if (!part.contains("text") || !part["text"].is_string()) {
      *why = "has a text part without a string 'text'";
      return false;
    }
    *out += part["text"].get<std::string>();
  }
  return true;
}

void read_messages(JsonFields& f, ChatCompletionRequest* r) {
  const nlohmann::json* msgs = f.raw("messages");
  if (!msgs || !msgs->is_array() || msgs->empty()) {
    f.fail(bad_param("messages", "'messages' must be a non-empty array"));
    return;
  }
  for (size_t i = 0; i < msgs->size(); ++i) {
    const auto& m = (*msgs)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      f.fail(bad_param(where, where + " must be an object with a string 'role'"));
      return;
    }
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      f.fail(bad_param(where + ".role", where + ".role '" + role + "' is not one of system, "
                                        "developer, user, assistant, tool"));
      return;
    }
    nlohmann::json out = {{"role", role}};
    const bool has_calls = m.contains("tool_calls") && !m["tool_calls"].is_null();
    if (m.contains("content") && !m["content"].is_null()) {
      std::string text, why;
      if (!read_content(m["content"], &text, &why)) {
        f.fail(bad_param(where + ".content", where + ".content " + why));
        return;
      }
      out["content"] = text;
    } else if (role == "assistant" && has_calls) {
      out["content"] = nullptr;
    } else {
      f.fail(bad_param(where + ".content", where + " has no content"));
      return;
    }
    for (const char* key : {"name", "tool_call_id", "tool_calls"}) {
      if (m.contains(key) && !m[key].is_null()) out[key] = m[key];
    }
    if (has_calls && role != "assistant") {
      f.fail(bad_param(where + ".tool_calls", "only assistant messages carry tool_calls"));
      return;
    }
    if (has_calls) {
      // Templates expect arguments as objects; the API sends JSON strings.
      for (auto& call : out["tool_calls"]) {
        if (call.contains("function") && call["function"].contains("arguments") &&
            call["function"]["arguments"].is_string()) {
          auto parsed = nlohmann::json::parse(call["function"]["arguments"].get<std::string>(),
                                              nullptr, false);
          if (!parsed.is_discarded()) call["function"]["arguments"] = parsed;
        }
      }
    }
    r->messages.push_back(std::move(out));
  }
}

}  // namespace

StatusOr<ChatCompletionRequest> parse_chat_request(const nlohmann::json& body, ApiError* error) {
  if (!body.is_object()) {
    *error = bad_param("", "the request body must be a JSON object");
    return error->status;
  }
  ChatCompletionRequest r;
  JsonFields f(body);
  read_generation_params(f, {"max_completion_tokens", "max_tokens"}, &r.gen);
  read_messages(f, &r);
  r.logprobs = f.boolean("logprobs").value_or(false);
  r.top_logprobs = static_cast<int32_t>(f.integer("top_logprobs", 0, 20).value_or(0));
  if (body.contains("top_logprobs") && !body["top_logprobs"].is_null() && !r.logprobs) {
    f.fail(bad_param("top_logprobs", "'top_logprobs' requires 'logprobs' to be true"));
  }
  r.gen.logprobs = r.logprobs ? r.top_logprobs : -1;
  if (const nlohmann::json* rf = f.raw("response_format")) {
    if (!rf->is_object() || rf->value("type", "") != "text") {
      f.fail({unimplemented("'response_format' other than {\"type\": \"text\"} is not supported yet"),
              "response_format", "unsupported_parameter"});
    }
  }
  f.unsupported("tools", "tool calling is not supported yet");
  f.unsupported("tool_choice", "tool calling is not supported yet");
  f.unsupported("functions", "function calling is not supported");
  f.unsupported("function_call", "function calling is not supported");
  f.unsupported("audio", "audio output is not supported");
  f.unsupported("modalities", "only text is supported");
  f.unsupported("prediction", "predicted outputs are not supported");
  r.conversation_id = f.string("conversation_id").value_or("");
  if (r.conversation_id.size() > 256) {
    f.fail(bad_param("conversation_id", "'conversation_id' must be at most 256 characters"));
  }
  if (auto ptc = f.boolean("parallel_tool_calls")) (void)ptc;  // meaningful only with tools
  if (auto store = f.boolean("store"); store && *store) {
    f.fail({unimplemented("'store' is not supported: completions are not stored"), "store",
            "unsupported_parameter"});
  }
  f.known({"metadata"});  // free-form tags; nothing to do with generation
  f.check_unknown();
  if (f.error()) {
    *error = *f.error();
    return error->status;
  }
  return r;
}

}  // namespace impetus
