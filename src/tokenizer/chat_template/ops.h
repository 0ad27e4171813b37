// Python operators on Jinja values as jinja2's sandbox applies them:
// arithmetic (+ - * / // % **), containment (`in`), attribute and item access
// (attribute first for `.`, item first for `[]`, Undefined when missing),
// slicing, iteration, and the error for using an Undefined.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "tokenizer/chat_template/value.h"

namespace impetus::jinja {

class Interpreter;

// UndefinedError for an operation on `u`.
Status undefined_error(const Value& u);

// a op b for op in + - * / // % **.
StatusOr<Value> arithmetic(Interpreter& in, std::string_view op, const Value& a, const Value& b);
// `item in container`.
StatusOr<bool> contains(const Value& container, const Value& item);
// obj.name (sandboxed getattr, then getitem).
StatusOr<Value> get_attr(const Value& obj, const std::string& name);
// obj[key] (getitem, then getattr for string keys).
StatusOr<Value> get_item(const Value& obj, const Value& key);
// obj[start:stop:step] on str, list, tuple.
StatusOr<Value> slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// The items a `for` loop (or list()) sees: list/tuple items, dict keys,
// string characters, nothing for Undefined; an error for other types.
StatusOr<ValueList> iterate(const Value& v);

}  // namespace impetus::jinja
