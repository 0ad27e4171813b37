// Bad and hostile templates: syntax errors, runtime errors and runaway
// templates must come back as a Status (never a crash or a hang), and
// raise_exception's message must reach the caller unchanged.
#include <gtest/gtest.h>

#include <chrono>

#include "tokenizer/chat_template/chat_template.h"

namespace impetus {
namespace {

using nlohmann::ordered_json;

Status render_status(std::string_view src, const ordered_json& ctx = ordered_json::object(),
                     const jinja::RenderLimits* limits = nullptr) {
  auto t = ChatTemplate::parse(src);
  if (!t.ok()) return t.status();
  if (limits != nullptr) t->set_limits(*limits);
  auto out = t->render(ctx);
  return out.ok() ? ok_status() : out.status();
}

TEST(ChatTemplateErrors, SyntaxErrorsFailToParse) {
  const char* bad[] = {
      "{% if x %}never closed",
      "{% for x in y %}no endfor",
      "{% macro m() %}no endmacro",
      "{{ x ",
      "{{ x }",
      "{# unclosed comment",
      "{% raw %}unclosed raw",
      "{{ 'unterminated }}",
      "{{ (1 }}",
      "{{ [1, 2 }}",
      "{{ }}",
      "{% endfor %}",
      "{% if x %}{% endfor %}",
      "{% foo %}",
      "{% include 'x.jinja' %}",
      "{{ x|no_such_filter }}",
      "{% for x in y %}{{ x is no_such_test }}{% endfor %}",
      "{% break %}",
      "{{ 1 + }}",
      "{% set %}",
      "{% macro m(a=1, b) %}{% endmacro %}",
      "{{ x is is defined }}",
      "{{ 99999999999999999999999 }}",
      "{{ '\\x4' }}",
      "{% set x = 1 %",
      "text {{ a.(b) }}",
  };
  for (const char* src : bad) {
    auto t = ChatTemplate::parse(src);
    EXPECT_FALSE(t.ok()) << "parsed: " << src;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << src;
    }
  }
}

TEST(ChatTemplateErrors, UnknownFilterInAnIfBranchFailsOnlyWhenRun) {
  // jinja2 compiles the body of an if branch lazily: same here.
  auto t = ChatTemplate::parse("{% if x %}{{ y|no_such_filter }}{% endif %}ok");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(*t->render(ordered_json{{"x", false}}), "ok");
  EXPECT_FALSE(t->render(ordered_json{{"x", true}}).ok());
}

TEST(ChatTemplateErrors, RaiseExceptionMessageReachesTheCaller) {
  auto t = ChatTemplate::parse(
      "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}"
      "{% endif %}fine");
  ASSERT_TRUE(t.ok());
  auto out = t->render(ordered_json{{"messages", {{{"role", "system"}, {"content", "x"}}}}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "System role not supported");
  EXPECT_EQ(*t->render(ordered_json{{"messages", {{{"role", "user"}, {"content", "x"}}}}}), "fine");
}

TEST(ChatTemplateErrors, PythonRuntimeErrorsAreStatuses) {
  const char* bad[] = {
      "{{ 'a' + none }}",           // TypeError
      "{{ 'a' + undefined_var }}",  // UndefinedError
      "{{ undefined_var.attr }}",   // UndefinedError
      "{{ undefined_var < 1 }}",
      "{{ 1 / 0 }}",
      "{{ 1 // 0 }}",
      "{{ 1 % 0 }}",
      "{{ 1 < 'a' }}",
      "{% for x in none %}{% endfor %}",
      "{% for a, b in [[1, 2, 3]] %}{% endfor %}",
      "{% set x = [1] %}{{ x.append(2) }}",  // the immutable sandbox
      "{% set d = {'a': 1} %}{{ d.update({'b': 2}) }}",
      "{{ 'abc'() }}",
      "{{ none|length }}",
      "{{ {'a': 1}|tojson if false else undefined_var|tojson }}",
      "{{ (x for x in y) }}",
      "{% set ns = 5 %}{% set ns.a = 1 %}",
      "{{ 9223372036854775807 + 1 }}",
      "{{ [1, 2]|map(attribute='a')|tojson }}",  // a generator is not JSON serializable
      "{{ 'a'.split('') }}",
      "{{ {[1]: 2} }}",
  };
  for (const char* src : bad) {
    EXPECT_FALSE(render_status(src).ok()) << "rendered: " << src;
  }
}

TEST(ChatTemplateErrors, DeepMacroRecursionIsStopped) {
  const Status s = render_status("{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.to_string();
}

TEST(ChatTemplateErrors, DeeplyNestedSourceIsRejectedNotOverflowed) {
  EXPECT_FALSE(
      ChatTemplate::parse("{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}")
          .ok());
  EXPECT_FALSE(
      ChatTemplate::parse("{{ " + std::string(100000, '[') + std::string(100000, ']') + " }}")
          .ok());
  EXPECT_FALSE(ChatTemplate::parse("{{ " + std::string(100000, '-') + "1 }}").ok());
  std::string nots = "{{ ";
  for (int i = 0; i < 50000; ++i) nots += "not ";
  EXPECT_FALSE(ChatTemplate::parse(nots + "1 }}").ok());
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  for (int i = 0; i < 5000; ++i) ifs += "{% endif %}";
  EXPECT_FALSE(ChatTemplate::parse(ifs).ok());
}

TEST(ChatTemplateErrors, HugeLoopsHitTheStepLimit) {
  const auto start = std::chrono::steady_clock::now();
  const Status s = render_status(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));

  jinja::RenderLimits small;
  small.max_steps = 1000;
  EXPECT_EQ(render_status("{% for i in range(2000) %}{% endfor %}", ordered_json::object(), &small)
                .code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(
      render_status("{% for i in range(300) %}{% endfor %}", ordered_json::object(), &small).ok());
  // The sandbox's MAX_RANGE: range() longer than 100000 is an error up front.
  EXPECT_FALSE(render_status("{{ range(1000000000)|length }}").ok());
}

TEST(ChatTemplateErrors, HugeOutputsAndStringsAreBounded) {
  EXPECT_EQ(render_status("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}").code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(render_status("{{ 'x' * 1000000000000 }}").code(), StatusCode::kResourceExhausted);
  EXPECT_FALSE(render_status("{{ [1] * 1000000000000 }}").ok());
  EXPECT_FALSE(render_status("{% set ns = namespace(s='x') %}{% for i in range(100) %}"
                             "{% set ns.s = ns.s + ns.s %}{% endfor %}")
                   .ok());
}

TEST(ChatTemplateErrors, SelfReferencingNamespaceRendersAndFrees) {
  // A namespace holding itself is a reference cycle: the interpreter breaks it
  // after the render (leak checkers in the fuzz build would notice otherwise).
  auto t = ChatTemplate::parse(
      "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns.me.me is defined }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->render(ordered_json::object()), "True");
}

TEST(ChatTemplateErrors, ContextMustBeAnObject) {
  auto t = ChatTemplate::parse("x");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->render(ordered_json::array()).ok());
  EXPECT_FALSE(apply_chat_template(*t, nlohmann::json::array(), nullptr, true, "", "",
                                   nlohmann::json::array())
                   .ok());
}

}  // namespace
}  // namespace impetus
