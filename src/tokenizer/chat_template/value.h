// The value model of the Jinja interpreter: Python's values as jinja2 sees
// them in a chat template (Undefined, None, bool, int, float, str, list,
// tuple, dict with insertion order, callables, namespace()), with Python's
// truthiness, str()/repr() printing, equality and ordering, and conversion
// from JSON (the render context) and to JSON (the `tojson` filter, which
// behaves like json.dumps as Hugging Face transformers calls it).
//
// Values are cheap to copy: strings and containers are shared and immutable
// (the template sandbox forbids mutating them); only a namespace() object is
// shared mutable state, as in Python.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/status.h"

namespace impetus::jinja {

enum class ValueKind : uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kTuple,
  kDict,
  kCallable,
  kNamespace,
  kGenerator,  // what map/select/... return in Python: iterable once, no len, not JSON
};

class Value;
using ValueList = std::vector<Value>;
struct ValueDict;
struct Callable;
struct Namespace;
struct Generator;

class Value {
 public:
  Value() = default;  // Undefined
  static Value undefined(std::string name = "");
  static Value none();
  explicit Value(bool b);
  explicit Value(int64_t i);
  explicit Value(int i) : Value(static_cast<int64_t>(i)) {}
  explicit Value(double f);
  explicit Value(std::string s);
  explicit Value(const char* s) : Value(std::string(s)) {}
  // A markupsafe.Markup string (from `safe` / `escape`): `+` with a plain
  // string HTML-escapes the plain side, as Python's Markup.__add__ does.
  static Value markup(std::string s);
  static Value list(ValueList items);
  static Value tuple(ValueList items);
  static Value dict(ValueDict items);
  static Value callable(std::shared_ptr<const Callable> fn);
  static Value ns(std::shared_ptr<Namespace> ns);
  static Value generator(ValueList items);
  static Value failed_generator(Status error);

  ValueKind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == ValueKind::kUndefined; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  bool is_bool() const { return kind_ == ValueKind::kBool; }
  bool is_int() const { return kind_ == ValueKind::kInt; }
  bool is_float() const { return kind_ == ValueKind::kFloat; }
  bool is_number() const { return is_bool() || is_int() || is_float(); }
  bool is_string() const { return kind_ == ValueKind::kString; }
  bool is_markup() const { return markup_; }
  bool is_list() const { return kind_ == ValueKind::kList; }
  bool is_tuple() const { return kind_ == ValueKind::kTuple; }
  bool is_sequence() const { return is_list() || is_tuple(); }  // list or tuple
  bool is_dict() const { return kind_ == ValueKind::kDict; }
  bool is_callable() const { return kind_ == ValueKind::kCallable; }
  bool is_namespace() const { return kind_ == ValueKind::kNamespace; }
  bool is_generator() const { return kind_ == ValueKind::kGenerator; }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const;   // bool or int
  double as_float() const;  // bool, int or float
  const std::string& str() const { return *std::get<std::shared_ptr<const std::string>>(data_); }
  const ValueList& items() const { return *std::get<std::shared_ptr<const ValueList>>(data_); }
  const ValueDict& dict() const { return *std::get<std::shared_ptr<const ValueDict>>(data_); }
  const Callable& fn() const { return *std::get<std::shared_ptr<const Callable>>(data_); }
  Namespace& ns() const { return *std::get<std::shared_ptr<Namespace>>(data_); }
  Generator& gen() const { return *std::get<std::shared_ptr<Generator>>(data_); }
  // The variable name an Undefined came from (for error messages).
  const std::string& undefined_name() const;

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double,
                            std::shared_ptr<const std::string>, std::shared_ptr<const ValueList>,
                            std::shared_ptr<const ValueDict>, std::shared_ptr<const Callable>,
                            std::shared_ptr<Namespace>, std::shared_ptr<Generator>>;
  ValueKind kind_ = ValueKind::kUndefined;
  bool markup_ = false;
  Data data_;
};

// A Python dict: insertion-ordered; small, so lookups are linear scans.
struct ValueDict {
  std::vector<std::pair<Value, Value>> entries;
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  // Sets key (replacing the value in place if present, else appending).
  void set(Value key, Value value);
};

// namespace(): a mutable attribute bag.
struct Namespace {
  ValueDict attrs;
};

// A Python generator: its items can be taken once.
struct Generator {
  ValueList items;
  bool consumed = false;
  Status error;  // a failure Python raises only when the generator runs
};

// Arguments of a call: positional, then keyword in source order.
struct CallArgs {
  ValueList positional;
  std::vector<std::pair<std::string, Value>> keyword;
  Value caller;  // set by a {% call %} block for the called macro
  const Value* kwarg(std::string_view name) const;
};

class Interpreter;
// A function value: a builtin, a macro, or a bound method (self + name).
struct Callable {
  std::string name;
  std::function<StatusOr<Value>(Interpreter&, const CallArgs&)> call;
  // For a bound method (`d.items`): the object; two bound methods are equal
  // when they have the same name and object, as in Python.
  std::optional<Value> bound_self;
};

// markupsafe.escape of a plain string: & < > " ' as entities.
std::string html_escape(std::string_view s);

// Python truthiness (Undefined is false).
bool truthy(const Value& v);
// Python str(v); Undefined prints as "".
std::string to_str(const Value& v);
// Python repr(v).
std::string to_repr(const Value& v);
// Python's type name ("str", "int", "NoneType", ...), for error messages.
std::string type_name(const Value& v);
// Python ==.
bool equals(const Value& a, const Value& b);
// Python <: -1/0/+1, or an error for unorderable types.
StatusOr<int> compare(const Value& a, const Value& b);
// Python len() of str (code points), list, tuple, dict; nullopt if no len.
std::optional<int64_t> length(const Value& v);

// json.dumps(v, ensure_ascii=False, indent=indent, separators=separators, sort_keys=...).
struct JsonDumpOptions {
  std::optional<std::string> indent;  // per level; nullopt = single line
  std::optional<std::pair<std::string, std::string>> separators;
  bool sort_keys = false;
};
StatusOr<std::string> to_json(const Value& v, const JsonDumpOptions& opts);

Value from_json(const nlohmann::json& j);
Value from_json(const nlohmann::ordered_json& j);

}  // namespace impetus::jinja
