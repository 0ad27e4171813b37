// Chat templates: renders a model's `tokenizer.chat_template` (a Jinja2
// template in the GGUF metadata) into the prompt text for the
// OpenAI-compatible server, byte for byte as Hugging Face transformers'
// apply_chat_template does with Python's jinja2 (ImmutableSandboxedEnvironment,
// trim_blocks and lstrip_blocks on, loop controls, `raise_exception`,
// `strftime_now`, and a `tojson` that does not HTML-escape).
//
//   IMP_ASSIGN_OR_RETURN(ChatTemplate t, ChatTemplate::parse(source));
//   IMP_ASSIGN_OR_RETURN(std::string prompt,
//                        apply_chat_template(t, messages, tools, true, "<s>", "</s>"));
//
// Errors are Statuses, never crashes: a syntax error from parse(); from
// render() a template's raise_exception(msg) (INVALID_ARGUMENT with `msg` as
// the message), a Python-level error (INVALID_ARGUMENT "TypeError: ...",
// "UndefinedError: ..."), or RESOURCE_EXHAUSTED when the template exceeds the
// render limits (output size, evaluation steps, macro recursion depth).
//
// Context JSON: pass nlohmann::ordered_json to keep the key order of objects
// (tool schemas print in the order given, as Python dicts do); plain
// nlohmann::json sorts keys.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tokenizer/chat_template/interpreter.h"

namespace impetus {

class ChatTemplate {
 public:
  static StatusOr<ChatTemplate> parse(std::string_view source);

  // Renders with the keys of `context` (a JSON object) as template variables.
  StatusOr<std::string> render(const nlohmann::json& context) const;
  StatusOr<std::string> render(const nlohmann::ordered_json& context) const;

  const std::string& source() const { return *source_; }
  void set_limits(const jinja::RenderLimits& limits) { limits_ = limits; }
  // Pins the clock seen by strftime_now() (tests); default: the real time.
  void set_now(std::chrono::system_clock::time_point now) { now_ = now; }

 private:
  ChatTemplate() = default;
  StatusOr<std::string> render_value(const jinja::Value& context) const;

  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const jinja::StmtList> tree_;
  jinja::RenderLimits limits_;
  std::optional<std::chrono::system_clock::time_point> now_;
};

// transformers' apply_chat_template(tokenize=False): the context is
// {messages, tools (left out when null, so `tools is defined` is false),
// add_generation_prompt, bos_token, eos_token} plus the keys of `extra`
// (a JSON object, e.g. {"enable_thinking": false}; null for none).
StatusOr<std::string> apply_chat_template(const ChatTemplate& tmpl, const nlohmann::json& messages,
                                          const nlohmann::json& tools, bool add_generation_prompt,
                                          const std::string& bos_token,
                                          const std::string& eos_token,
                                          const nlohmann::json& extra = nullptr);
StatusOr<std::string> apply_chat_template(const ChatTemplate& tmpl,
                                          const nlohmann::ordered_json& messages,
                                          const nlohmann::ordered_json& tools,
                                          bool add_generation_prompt, const std::string& bos_token,
                                          const std::string& eos_token,
                                          const nlohmann::ordered_json& extra = nullptr);

// The template for models whose GGUF has none: ChatML
// ("<|im_start|>{role}\n{content}<|im_end|>\n" per message, then
// "<|im_start|>assistant\n" when add_generation_prompt), the same fallback
// llama.cpp uses. Message content must be a string.
std::string_view default_chat_template();

}  // namespace impetus
