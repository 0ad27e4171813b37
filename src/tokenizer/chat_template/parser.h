// Parser for Jinja templates: turns the lexer's tokens into the statement
// tree of ast.h, following jinja2's grammar and operator precedence
// (conditional < or < and < not < comparisons < + - < ~ < * / // % < ** <
// unary - + < filters / tests < postfix . [] ()). Supports the statements
// chat templates use: if/elif/else, for (else, `if` filter, tuple targets),
// set (plain, namespace attribute, block), macro, call, filter, break,
// continue, generation; anything else is a syntax error.
#pragma once

#include <string_view>

#include "core/status.h"
#include "tokenizer/chat_template/ast.h"

namespace impetus::jinja {

StatusOr<StmtList> parse_template(std::string_view source);

}  // namespace impetus::jinja
