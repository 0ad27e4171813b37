// Jinja's built-in filters, tests, Python methods of str/dict/list, and the
// global functions available to chat templates (range, namespace, dict,
// raise_exception, strftime_now, joiner, cycler), matching jinja2 3.1 with
// transformers' `tojson`.
#pragma once

#include <string_view>

#include "core/status.h"
#include "tokenizer/chat_template/value.h"

namespace impetus::jinja {

class Interpreter;

bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);

StatusOr<Value> apply_filter(Interpreter& in, std::string_view name, const Value& v,
                             const CallArgs& args);
StatusOr<bool> apply_test(Interpreter& in, std::string_view name, const Value& v,
                          const CallArgs& args);

// Whether `obj.name` is a Python method of str / dict / list / tuple.
bool has_method(const Value& obj, std::string_view name);
StatusOr<Value> call_method(Interpreter& in, const Value& obj, std::string_view name,
                            const CallArgs& args);
// obj.name as a callable value (for `x.method` used without a call).
Value bound_method(const Value& obj, std::string_view name);

// Python's `fmt % rhs` string formatting (also the `format` filter).
StatusOr<Value> percent_format(Interpreter& in, const Value& fmt, const Value& rhs);

// Adds the global functions to `globals`.
void add_globals(ValueDict* globals);

// Argument binding shared by the builtins: positional `i` or keyword `name`,
// else `fallback`.
const Value* arg(const CallArgs& args, size_t i, std::string_view name);
// A TypeError-like error for a bad argument.
Status bad_arg(std::string_view fn, std::string_view what);

}  // namespace impetus::jinja
