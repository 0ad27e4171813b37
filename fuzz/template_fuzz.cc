// Fuzz target for the chat-template (Jinja) interpreter: any template text
// must parse to a template or a Status, and rendering it against a small
// conversation must give text or a Status: never a crash, a hang or a leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tokenizer/chat_template/chat_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view src(reinterpret_cast<const char*>(data), size);
  auto tmpl = impetus::ChatTemplate::parse(src);
  if (!tmpl.ok()) return 0;
  impetus::jinja::RenderLimits limits;
  limits.max_steps = 200'000;  // keep each input fast
  limits.max_output_bytes = size_t{1} << 20;
  limits.max_call_depth = 40;
  tmpl->set_limits(limits);
  static const nlohmann::ordered_json kContext = nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "user", "content": "What's the weather in Paris? \u00e9 <b>"},
      {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "id": "call12345",
        "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
      {"role": "tool", "content": "{\"t\": 21.5}", "tool_call_id": "call12345"},
      {"role": "assistant", "content": "21.5 C"}],
    "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"},
        "days": {"type": ["integer", "null"], "enum": [1, 2, 3]}}, "required": ["city"]}}}],
    "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
  auto out = tmpl->render(kContext);
  (void)out;
  return 0;
}
