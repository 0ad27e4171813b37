// Unit cases for the Jinja interpreter: expressions, filters, tests, string
// methods, statements and whitespace control, each with the text Python's
// jinja2 renders (generated once with tools/render_template.py's
// environment). A second test re-renders the whole table with jinja2 at test
// time, so the expected strings cannot drift from the reference.
#include <gtest/gtest.h>

#include "tokenizer/chat_template/chat_template.h"
#include "tokenizer/chat_template/jinja_reference.h"

namespace impetus {
namespace {

struct Case {
  const char* source;
  const char* context;  // JSON object
  const char* expected;
};

// clang-format off
const Case kCases[] = {
    {"{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 1 / 2 }} {{ 4 / 2 }}",
     "{}",
     "7 9 3 -4 2 1024 0.5 0.5 2.0"},
    {"{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 1.5e-7 }} {{ -0.0 }} {{ 3.14159 }}",
     "{}",
     "1.0 0.30000000000000004 1e+20 1e+16 1000000000000000.0 0.0001 1e-05 1.5e-07 -0.0 3.14159"},
    {"{{ 'a' ~ 1 ~ none ~ true ~ 2.5 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ 'x' + 'y' }} {{ [1] + [2] }}",
     "{}",
     "a1NoneTrue2.5 ababab [1, 1] xy [1, 2]"},
    {"{{ true }} {{ false }} {{ none }} {{ True }} {{ None }} {{ [1, 'a', none, true, 1.0, {'k': 'v'}] }} {{ (1,) }} {{ (1, 'b') }} {{ {} }}",
     "{}",
     "True False None True None [1, 'a', None, True, 1.0, {'k': 'v'}] (1,) (1, 'b') {}"},
    {"{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n\\ttab'] }}",
     "{}",
     "[\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n\\ttab']"},
    {"{{ 1 == 1.0 }} {{ true == 1 }} {{ [1] == [1.0] }} {{ 'a' < 'b' }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' != 'a' }} {{ 1 <= 1 }}",
     "{}",
     "True True True True True False False True"},
    {"{{ 'a' in 'abc' }} {{ 'k' in {'k': 1} }} {{ 2 in [1, 2] }} {{ 'z' not in ['a'] }} {{ not true }} {{ not 0 }}",
     "{}",
     "True True True True False True"},
    {"{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or [] }}|{{ 1 if true else 2 }} {{ 1 if false else 2 }} {{ 1 if false }}|",
     "{}",
     "x b  []|1 2 |"},
    {"{{ x.a }} {{ x['b'][1] }} {{ x.missing }}|{{ x['missing'] }}|{{ y[-1] }} {{ y[5] }}|{{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ y[1:] }} {{ y[:-1] }} {{ y[::2] }}",
     "{\"x\": {\"a\": 1, \"b\": [2, 3]}, \"y\": [1, 2, 3]}",
     "1 3 ||3 |el olleh [2, 3] [1, 2] [1, 3]"},
    {"{{ 'h\303\251llo w\303\266rld'|upper }} {{ 'ABC'|lower }} {{ 'hello world-foo(bar'|title }} {{ 'hELLO'|capitalize }} {{ '  pad  '|trim }}|{{ 'xxaxx'|trim('x') }}",
     "{}",
     "H\303\211LLO W\303\226RLD abc Hello World-Foo(Bar Hello pad|a"},
    {"{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'a']|sort }} {{ [3, 1, 2]|sort(reverse=true) }} {{ ['b', 'A', 'a', 'B']|unique|list }} {{ {'b': 1, 'a': 2}|dictsort }}",
     "{}",
     "[1, 2, 3] ['A', 'a', 'b'] [3, 2, 1] ['b', 'A'] [('a', 2), ('b', 1)]"},
    {"{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|length }} {{ {'a': 1}|count }} {{ [1, 2]|join('-') }} {{ ['a', 'b']|join }} {{ 'abc'|list }}",
     "{}",
     "1 3 3 1 1-2 ab ['a', 'b', 'c']"},
    {"{{ x|default('d') }} {{ none|default('d') }} {{ ''|default('d', true) }} {{ x|d('e') }} {{ 0|default(5, boolean=true) }}",
     "{}",
     "d None d e 5"},
    {"{{ 3.7|int }} {{ '12'|int }} {{ 'x'|int }} {{ '4.5'|int }} {{ 3|float }} {{ 'x'|float }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 1.5|round(0, 'floor') }} {{ -3|abs }}",
     "{}",
     "3 12 0 4 3.0 0.0 2.0 4.0 2.57 1.0 3"},
    {"{{ {'a': 1, 'b': [1, 2.5, none, true, '\303\251\"']}|tojson }} {{ {'a': {'b': []}, 'c': {}}|tojson(indent=2) }} {{ [1, 2]|tojson(indent=4) }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ {'a': 1}|tojson(separators=(',', ':')) }}",
     "{}",
     "{\"a\": 1, \"b\": [1, 2.5, null, true, \"\303\251\\\"\"]} {\n  \"a\": {\n    \"b\": []\n  },\n  \"c\": {}\n} [\n    1,\n    2\n] {\"a\": 2, \"b\": 1} {\"a\":1}"},
    {"{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'a\\nb'|indent('--') }}",
     "{}",
     "a\n  b\n\n  c|  a\n  b|a\n  \n  b|a\n--b"},
    {"{{ users|map(attribute='name')|join(', ') }} {{ users|selectattr('admin')|map(attribute='name')|list }} {{ users|rejectattr('admin')|list|length }} {{ users|selectattr('name', 'equalto', 'bo')|list }}",
     "{\"users\": [{\"name\": \"al\", \"admin\": true}, {\"name\": \"bo\", \"admin\": false}]}",
     "al, bo ['al'] 1 [{'name': 'bo', 'admin': False}]"},
    {"{{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} {{ [0, 1, '', 'a']|select|list }} {{ ['a', 'B']|map('upper')|list }} {{ [1, 2, 3, 4, 5]|batch(2)|list }}",
     "{}",
     "[1, 3] [1, 3] [1, 'a'] ['A', 'B'] [[1, 2], [3, 4], [5]]"},
    {"{{ 'a b'|replace(' ', '_') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 5|string ~ '!' }} {{ [1, 2]|string }} {{ {'a': 1}|items|list }} {{ [1, 2, 3]|sum }} {{ [1, 5, 3]|max }} {{ [4, 2]|min }} {{ 'abc'|reverse }} {{ [1, 2]|reverse|list }}",
     "{}",
     "a_b bba 5! [1, 2] [('a', 1)] 6 5 2 cba [2, 1]"},
    {"{{ '%s is %d'|format('x', 3) }} {{ 'one two  three'|wordcount }} {{ 'x'|center(5) }}|",
     "{}",
     "x is 3 3   x  |"},
    {"{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ true is boolean }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is sequence }} {{ 5 is iterable }}",
     "{\"x\": 1}",
     "True True True True True True True True True True True False"},
    {"{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 'a' is in 'abc' }} {{ 1 is equalto 1 }} {{ 2 is eq 3 }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ 'abc' is lower }} {{ 'AB' is upper }} {{ 2 is gt 1 }} {{ 2 is lt 1 }}",
     "{}",
     "True True True True True False True False True True True True False"},
    {"{{ '  a b  '.strip() }}|{{ 'xa'.lstrip('x') }} {{ 'ax'.rstrip('x') }} {{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ 'ab'.startswith('a') }} {{ 'ab'.endswith(('x', 'b')) }} {{ 'ab'.upper() }} {{ 'hello world'.title() }} {{ 'a-b'.replace('-', '+') }} {{ 'abc'.find('c') }} {{ '-'.join(['a', 'b']) }} {{ 'x'.center(5, '*') }} {{ 'a\\nb'.splitlines() }}",
     "{}",
     "a b|a a ['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a b', 'c'] True True AB Hello World a+b 2 a-b **x** ['a', 'b']"},
    {"{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} {{ d.keys()|list }} {{ d.values()|list }} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
     "{\"d\": {\"a\": 1, \"b\": 2}}",
     "1 None dflt ['a', 'b'] [1, 2] a=1;b=2;"},
    {"{% if x > 1 %}big{% elif x == 1 %}one{% else %}small{% endif %}",
     "{\"x\": 1}",
     "one"},
    {"{% for i in range(3) %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}|{% endfor %}",
     "{}",
     "10TrueFalse33|21FalseFalse32|32FalseTrue31|"},
    {"{% for i in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}",
     "{}",
     "-2;1-3;2-;"},
    {"{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %} {% for k, v in {'x': 1}|items %}{{ k }}{{ v }}{% endfor %} {% for i in [] %}x{% else %}empty{% endfor %}",
     "{}",
     "1234 x1 empty"},
    {"{% for i in range(10) if i is odd %}{{ i }}{{ loop.last }},{% endfor %}",
     "{}",
     "1False,3False,5False,7False,9True,"},
    {"{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}",
     "{}",
     "0134"},
    {"{% set x = 'o' %}{% for i in range(3) %}{{ x }}{% set x = i %}{{ x }}|{% endfor %}{{ x }}",
     "{}",
     "o0|o1|o2|o"},
    {"{% set ns = namespace(n=0, items=[]) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.n }} {{ ns.items }}",
     "{}",
     "6 [0, 1, 2, 3]"},
    {"{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = (1, 2) %}{{ t }}",
     "{}",
     "12 (1, 2)"},
    {"{% set block %}  Hello {{ 'w' }}  {% endset %}[{{ block }}] {% set b2 | trim | upper %}  x  {% endset %}[{{ b2 }}]",
     "{}",
     "[  Hello w  ] [X]"},
    {"{% filter upper %}abc{{ 'd' }}{% endfilter %} {% filter trim|title %}  hi there  {% endfilter %}",
     "{}",
     "ABCD Hi There"},
    {"{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet(greeting='Yo', name='C') }}",
     "{}",
     "Hello, Ann! Hi, Bob! Yo, C!"},
    {"{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}",
     "{}",
     "120"},
    {"{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner {{ 1 + 1 }}{% endcall %}",
     "{}",
     "[inner 2]"},
    {"{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}",
     "{}",
     "2"},
    {"{% raw %}{{ not parsed }}{% endraw %}",
     "{}",
     "{{ not parsed }}"},
    {"{# comment #}a{#- stripped -#}  b",
     "{}",
     "ab"},
    {"<ul>\n{% for i in [1, 2] %}\n  <li>{{ i }}</li>\n{% endfor %}\n</ul>\n",
     "{}",
     "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>"},
    {"a  {%- if true -%}  b  {%- endif -%}  c",
     "{}",
     "abc"},
    {"  {% if true %}\n    x\n  {% endif %}\n  y {{ 1 }}  \n  {%+ if true %}z{% endif %}\n{{- ' w' }}",
     "{}",
     "    x\n  y 1  \n  z w"},
    {"line1\n    {# note #}\nline2\n  {{ 'v' }}\n{% if true +%}\nkept newline\n{%- endif %}\n",
     "{}",
     "line1\nline2\n  v\n\nkept newline"},
    {"{%- set x = 1 -%}\n\n  {{- x -}}  \n\n{{ x }}\n\n",
     "{}",
     "11\n"},
    {"a\015\nb\015c\n",
     "{}",
     "a\nb\nc"},
    {"{{ raise_exception('nope') if false else 'fine' }} {{ strftime_now('%Y') is string }}",
     "{}",
     "fine True"},
    {"{{ 'a' ~ u ~ 'b' }} {{ u|length }} {{ u is defined }} {% for x in u %}never{% endfor %}{{ u|list }}",
     "{}",
     "ab 0 False []"},
    {"{{ dict(a=1, b='x') }} {{ {'a': 1, 'a': 2} }} {{ {1: 'x'}[1] }} {{ [1, 2, 3]|length > 2 }}",
     "{}",
     "{'a': 1, 'b': 'x'} {'a': 2} x True"},
    {"{{ \"'\"|safe + \"<b>&\" }} {{ 'a' + '<'|safe }} {{ '<'|e }} {{ ('x'|safe ~ '<') + '<' }}",
     "{}",
     "'&lt;b&gt;&amp; a< &lt; x<<"},
    {"{% generation %}gen {{ 1 }}{% endgeneration %}|{{ 'a%sc' % 'b' }} {{ '%s-%d' % ('x', 2) }} {{ 'abc' % [] }} {{ 'x' + '<'|safe + '>' }}",
     "{}",
     "gen 1|abc x-2 abc x<&gt;"},
    {"{{ 5[1:] }}|{{ (true)[0] is defined }}|{{ [1, 2]|map('string')|list }} {{ [0.5, 1.0, 3]|select('odd')|list }}",
     "{}",
     "|False|['1', '2'] [1.0, 3]"},
    {"{{ [3, 1]|sort|tojson }} {{ {'a': [1, 'x']}|items|list|tojson }} {{ 'A B'|lower|title }}",
     "{}",
     "[1, 3] [[\"a\", [1, \"x\"]]] A B"},
};
// clang-format on

TEST(ChatTemplateUnit, RendersLikeJinja2) {
  for (const Case& c : kCases) {
    auto t = ChatTemplate::parse(c.source);
    ASSERT_TRUE(t.ok()) << c.source << "\n" << t.status().to_string();
    auto out = t->render(nlohmann::ordered_json::parse(c.context));
    ASSERT_TRUE(out.ok()) << c.source << "\n" << out.status().to_string();
    EXPECT_EQ(*out, c.expected) << c.source;
  }
}

TEST(ChatTemplateUnit, ExpectedStringsAreJinja2s) {
  std::vector<testing::JinjaJob> jobs;
  for (const Case& c : kCases) jobs.push_back({c.source, nlohmann::ordered_json::parse(c.context)});
  std::string why;
  const auto ref = testing::render_with_jinja2(jobs, &why);
  ASSERT_EQ(ref.size(), jobs.size()) << why;
  for (size_t i = 0; i < ref.size(); ++i) {
    ASSERT_TRUE(ref[i].ok) << kCases[i].source << ": " << ref[i].error;
    EXPECT_EQ(ref[i].output, kCases[i].expected) << kCases[i].source;
  }
}

}  // namespace
}  // namespace impetus
