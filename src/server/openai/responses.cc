#include "server/openai/responses.h"

#include <random>

namespace impetus {
namespace {

nlohmann::json bytes_of(const std::string& s) {
  auto b = nlohmann::json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

// Chat format: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}.
nlohmann::json chat_logprobs(const std::vector<TokenLogprobs>& lps) {
  auto content = nlohmann::json::array();
  for (const auto& lp : lps) {
    auto top = nlohmann::json::array();
    for (const auto& alt : lp.top) {
      top.push_back({{"token", alt.text}, {"logprob", alt.logprob}, {"bytes", bytes_of(alt.text)}});
    }
    content.push_back({{"token", lp.chosen.text},
                       {"logprob", lp.chosen.logprob},
                       {"bytes", bytes_of(lp.chosen.text)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}, {"refusal", nullptr}};
}

// Legacy completions format: parallel arrays.
nlohmann::json completion_logprobs(const std::vector<TokenLogprobs>& lps, size_t text_offset) {
  auto tokens = nlohmann::json::array(), token_lps = nlohmann::json::array(),
       tops = nlohmann::json::array(), offsets = nlohmann::json::array();
  for (const auto& lp : lps) {
    tokens.push_back(lp.chosen.text);
    token_lps.push_back(lp.chosen.logprob);
    nlohmann::json top = nlohmann::json::object();
    for (const auto& alt : lp.top) top[alt.text] = alt.logprob;
    tops.push_back(top);
    offsets.push_back(text_offset);
    text_offset += lp.chosen.text.size();
  }
  return {{"tokens", tokens}, {"token_logprobs", token_lps}, {"top_logprobs", tops},
          {"text_offset", offsets}};
}

nlohmann::json base(const ResponseHeader& h, const char* object) {
  return {{"id", h.id}, {"object", object}, {"created", h.created}, {"model", h.model},
          {"system_fingerprint", h.fingerprint}};
}

}  // namespace

std::string new_response_id(ApiKind kind) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* hex = "0123456789abcdef";
  std::string id = kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 24; ++i) id += hex[rng() % 16];
  return id;
}

nlohmann::json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

nlohmann::json finish_json(FinishReason r) {
  if (r == FinishReason::kNone) return nullptr;
  return r == FinishReason::kLength ? "length" : "stop";
}

nlohmann::json full_response(const ResponseHeader& h, const std::vector<ChoiceResult>& choices,
                             const Usage& usage) {
  const bool chat = h.kind == ApiKind::kChat;
  nlohmann::json j = base(h, chat ? "chat.completion" : "text_completion");
  auto arr = nlohmann::json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    nlohmann::json lp = nullptr;
    if (c.want_logprobs) lp = chat ? chat_logprobs(c.logprobs) : completion_logprobs(c.logprobs, 0);
    if (chat) {
      arr.push_back({{"index", i},
                     {"message", {{"role", "assistant"}, {"content", c.text}, {"refusal", nullptr}}},
                     {"logprobs", lp},
                     {"finish_reason", finish_json(c.finish)}});
    } else {
      arr.push_back({{"index", i}, {"text", c.text}, {"logprobs", lp},
                     {"finish_reason", finish_json(c.finish)}});
    }
  }
  j["choices"] = arr;
  j["usage"] = usage_json(usage);
  return j;
}

nlohmann::json stream_chunk(const ResponseHeader& h, int index, bool role, const std::string& text,
                            const std::vector<TokenLogprobs>* logprobs, FinishReason finish,
                            size_t text_offset) {
  const bool chat = h.kind == ApiKind::kChat;
  nlohmann::json j = base(h, chat ? "chat.completion.chunk" : "text_completion");
  nlohmann::json lp = nullptr;
  if (logprobs) lp = chat ? chat_logprobs(*logprobs) : completion_logprobs(*logprobs, text_offset);
  nlohmann::json choice = {{"index", index}, {"logprobs", lp}, {"finish_reason", finish_json(finish)}};
  if (chat) {
    nlohmann::json delta = nlohmann::json::object();
    if (role) delta["role"] = "assistant";
    if (role || !text.empty()) delta["content"] = text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  j["choices"] = nlohmann::json::array({choice});
  return j;
}

nlohmann::json usage_chunk(const ResponseHeader& h, const Usage& usage) {
  nlohmann::json j = base(h, h.kind == ApiKind::kChat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = nlohmann::json::array();
  j["usage"] = usage_json(usage);
  return j;
}

std::string to_wire(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace impetus
