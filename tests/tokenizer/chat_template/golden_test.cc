// Golden comparison: every real chat template in testdata/chat_templates,
// rendered for a set of conversations by our interpreter and by Python's
// jinja2 (tools/render_template.py), must give byte-identical text, or both
// must fail (a template rejecting a conversation shape with raise_exception,
// or a Python TypeError such as str + dict).
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "testing/paths.h"
#include "tokenizer/chat_template/chat_template.h"
#include "tokenizer/chat_template/jinja_reference.h"

namespace impetus {
namespace {

using nlohmann::ordered_json;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::chrono::system_clock::time_point pinned_now() {
  std::tm tm{};
  std::istringstream(testing::kPinnedNow) >> std::get_time(&tm, "%Y-%m-%d %H:%M:%S");
  tm.tm_isdst = -1;
  return std::chrono::system_clock::from_time_t(std::mktime(&tm));
}

ordered_json weather_tool() {
  return ordered_json::parse(R"({"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city",
    "parameters": {"type": "object", "properties": {
      "city": {"type": "string", "description": "The city name"}}, "required": ["city"]}}})");
}

ordered_json rich_tool() {
  return ordered_json::parse(R"({"type": "function", "function": {
    "name": "search_flights", "description": "Search flights; returns 'offers' & prices",
    "parameters": {"type": "object", "properties": {
      "origin": {"type": "string", "description": "IATA code, e.g. \"CDG\""},
      "max_stops": {"type": "integer", "description": "Maximum stops", "default": 1},
      "cabin": {"type": "string", "enum": ["economy", "business"], "description": "Cabin class"},
      "price_limit": {"type": "number", "description": "Upper bound in EUR"},
      "flexible": {"type": "boolean", "description": "Flexible dates"}},
      "required": ["origin"]}}})");
}

ordered_json msg(const char* role, const char* content) {
  return {{"role", role}, {"content", content}};
}

// The assistant's tool call and the tool's reply; `string_args` gives the
// arguments as a JSON string (OpenAI wire format) instead of an object.
ordered_json tool_exchange(bool string_args) {
  ordered_json args = {{"city", "Paris"}};
  ordered_json call = {
      {"type", "function"},
      {"function",
       {{"name", "get_weather"}, {"arguments", string_args ? ordered_json(args.dump()) : args}}},
      {"id", string_args ? "call12345" : "call_1"}};
  ordered_json assistant = {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", {call}}};
  ordered_json tool = {{"role", "tool"},
                       {"content", "{\"temperature\": 21, \"unit\": \"C\"}"},
                       {"tool_call_id", string_args ? "call12345" : "call_1"}};
  return {assistant, tool};
}

struct Conversation {
  std::string name;
  ordered_json messages;
  ordered_json tools;  // null: not passed
  bool add_generation_prompt;
  ordered_json extra = nullptr;  // more template variables
};

// The variables firefunction-v2's template needs (others ignore them).
ordered_json firefunction_kwargs() {
  return {{"functions", "[{\"name\": \"get_weather\"}]"}, {"datetime", "2024-09-05"}};
}

std::vector<Conversation> conversations() {
  const ordered_json sys = msg("system", "You are a helpful assistant.");
  const ordered_json user = msg("user", "What is the weather in Paris?");
  std::vector<Conversation> c;
  c.push_back({"system_user_gen", {sys, user}, nullptr, true, firefunction_kwargs()});
  c.push_back({"system_user_nogen", {sys, user}, nullptr, false});
  c.push_back({"multi_turn",
               {msg("user", "Hi!"), msg("assistant", "Hello! How can I help?"),
                msg("user", "Tell me a joke.")},
               nullptr,
               true});
  c.push_back({"multi_turn_system",
               {sys, msg("user", "Hi!"), msg("assistant", "Hello!"), msg("user", "Bye.")},
               nullptr,
               false,
               firefunction_kwargs()});
  c.push_back({"user_only", {msg("user", "Hello")}, nullptr, true});
  c.push_back({"tools_user", {sys, user}, {weather_tool()}, true});
  for (bool string_args : {false, true}) {
    ordered_json m = {user};
    for (const auto& x : tool_exchange(string_args)) m.push_back(x);
    c.push_back(
        {string_args ? "tool_call_string_args" : "tool_call_dict_args", m, {weather_tool()}, true});
  }
  {
    ordered_json m = {sys, user};
    for (const auto& x : tool_exchange(true)) m.push_back(x);
    m.push_back(msg("assistant", "It is 21 C in Paris."));
    m.push_back(msg("user", "Thanks!"));
    c.push_back({"tool_call_then_answer", m, {weather_tool()}, false, firefunction_kwargs()});
  }
  c.push_back({"unicode_specials",
               {msg("user", "  Caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC <b>&'\"\n\tline2  "),
                msg("assistant", "<think>hmm</think>Done \xF0\x9F\x98\x80"), msg("user", "ok")},
               nullptr,
               true});
  c.push_back(
      {"rich_tools", {msg("user", "Find a flight from CDG")}, {rich_tool(), weather_tool()}, true});
  return c;
}

ordered_json context_of(const Conversation& c) {
  ordered_json ctx = ordered_json::object();
  ctx["messages"] = c.messages;
  if (!c.tools.is_null()) ctx["tools"] = c.tools;
  ctx["add_generation_prompt"] = c.add_generation_prompt;
  ctx["bos_token"] = "<s>";
  ctx["eos_token"] = "</s>";
  if (c.extra.is_object()) {
    for (auto it = c.extra.begin(); it != c.extra.end(); ++it) ctx[it.key()] = it.value();
  }
  return ctx;
}

std::vector<std::string> template_paths() {
  std::vector<std::string> out;
  for (const auto& e :
       std::filesystem::directory_iterator(testing::shared_testdata("chat_templates"))) {
    if (e.path().extension() == ".jinja") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ChatTemplateGolden, EveryTemplateMatchesJinja2) {
  const std::vector<std::string> paths = template_paths();
  ASSERT_EQ(paths.size(), 17u) << "expected the 17 templates of testdata/chat_templates";
  const std::vector<Conversation> convs = conversations();
  std::vector<testing::JinjaJob> jobs;
  for (const auto& p : paths) {
    const std::string src = read_file(p);
    for (const auto& c : convs) jobs.push_back({src, context_of(c)});
  }
  std::string why;
  const std::vector<testing::JinjaResult> ref = testing::render_with_jinja2(jobs, &why);
  ASSERT_EQ(ref.size(), jobs.size()) << why;

  size_t job = 0;
  size_t total_match = 0;
  std::ostringstream report;
  for (const auto& p : paths) {
    const std::string name = std::filesystem::path(p).stem().string();
    auto tmpl = ChatTemplate::parse(jobs[job].source);
    ASSERT_TRUE(tmpl.ok()) << name << ": " << tmpl.status().to_string();
    tmpl->set_now(pinned_now());
    size_t matched = 0;
    size_t both_failed = 0;
    std::string failures;
    for (const auto& c : convs) {
      const testing::JinjaResult& r = ref[job];
      auto ours = tmpl->render(jobs[job].context);
      ++job;
      bool same;
      if (r.ok) {
        same = ours.ok() && *ours == r.output;
        EXPECT_TRUE(ours.ok()) << name << " / " << c.name << ": " << ours.status().to_string();
        if (ours.ok()) {
          EXPECT_EQ(*ours, r.output) << name << " / " << c.name;
        }
      } else {
        same = !ours.ok();
        both_failed += same;
        EXPECT_FALSE(ours.ok()) << name << " / " << c.name << ": jinja2 failed with " << r.error
                                << " but we rendered:\n"
                                << *ours;
      }
      matched += same;
      if (!same) failures += " " + c.name;
    }
    total_match += matched;
    report << "  " << name << ": " << matched << "/" << convs.size() << " match (" << both_failed
           << " are errors in both)" << (failures.empty() ? "" : "; differ:" + failures) << "\n";
  }
  std::cout << "[golden] " << total_match << "/" << jobs.size()
            << " renderings identical to jinja2\n"
            << report.str();
}

TEST(ChatTemplateGolden, DefaultTemplateMatchesJinja2) {
  auto tmpl = ChatTemplate::parse(default_chat_template());
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().to_string();
  std::vector<testing::JinjaJob> jobs;
  for (const auto& c : conversations())
    jobs.push_back({std::string(default_chat_template()), context_of(c)});
  std::string why;
  const auto ref = testing::render_with_jinja2(jobs, &why);
  ASSERT_EQ(ref.size(), jobs.size()) << why;
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto ours = tmpl->render(jobs[i].context);
    ASSERT_EQ(ours.ok(), ref[i].ok) << i << ": " << ref[i].error;
    if (ours.ok()) {
      EXPECT_EQ(*ours, ref[i].output);
    }
  }
  auto chatml = apply_chat_template(
      *tmpl, nlohmann::json::array({{{"role", "user"}, {"content", "Hi"}}}), nullptr, true, "", "");
  ASSERT_TRUE(chatml.ok());
  EXPECT_EQ(*chatml, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateGolden, ApplyChatTemplateBuildsTheSameContext) {
  // apply_chat_template must build the context the golden test uses.
  const std::string src =
      read_file(testing::shared_testdata("chat_templates/Qwen-Qwen2.5-7B-Instruct.jinja"));
  auto tmpl = ChatTemplate::parse(src);
  ASSERT_TRUE(tmpl.ok());
  for (const auto& c : conversations()) {
    auto a = apply_chat_template(*tmpl, c.messages, c.tools, c.add_generation_prompt, "<s>", "</s>",
                                 c.extra);
    auto b = tmpl->render(context_of(c));
    ASSERT_EQ(a.ok(), b.ok()) << c.name;
    if (a.ok()) {
      EXPECT_EQ(*a, *b) << c.name;
    }
  }
}

}  // namespace
}  // namespace impetus
