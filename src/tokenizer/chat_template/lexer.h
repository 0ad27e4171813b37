// Lexer for Jinja templates, reproducing jinja2's tokenizer with the settings
// transformers uses (trim_blocks and lstrip_blocks on, keep_trailing_newline
// off): newlines normalized to \n, one trailing newline dropped, `-` / `+`
// whitespace control on {{ }}, {% %} and {# #}, comments dropped, and
// {% raw %} bodies kept as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace impetus::jinja {

enum class TokenKind {
  kText,        // template data between tags
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,  // value: the decoded string
  kInt,     // value: digits without underscores (base prefix kept)
  kFloat,   // value: text without underscores
  kOp,      // value: the operator, e.g. "//", "==", "("
  kEof,
};

struct Token {
  TokenKind kind;
  std::string value;
  int line = 1;
};

// Tokenizes `source`. Errors: unterminated tags, comments or strings,
// unbalanced brackets, characters that start no token.
StatusOr<std::vector<Token>> lex_template(std::string_view source);

}  // namespace impetus::jinja
