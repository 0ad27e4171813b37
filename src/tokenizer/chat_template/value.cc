#include "tokenizer/chat_template/value.h"

// GCC 12 reports a false "may be used uninitialized" inside std::variant's
// copy for Value's variant (GCC bug 105593 family); the value is initialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizer/chat_template/py_string.h"
#include "tokenizer/utf8.h"

namespace impetus::jinja {

Value Value::undefined(std::string name) {
  Value v;
  v.data_ = std::make_shared<const std::string>(std::move(name));
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = ValueKind::kNone;
  return v;
}

Value::Value(bool b) : kind_(ValueKind::kBool), data_(b) {}
Value::Value(int64_t i) : kind_(ValueKind::kInt), data_(i) {}
Value::Value(double f) : kind_(ValueKind::kFloat), data_(f) {}
Value::Value(std::string s)
    : kind_(ValueKind::kString), data_(std::make_shared<const std::string>(std::move(s))) {}

Value Value::markup(std::string s) {
  Value v(std::move(s));
  v.markup_ = true;
  return v;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Value Value::list(ValueList items) {
  Value v;
  v.kind_ = ValueKind::kList;
  v.data_ = std::make_shared<const ValueList>(std::move(items));
  return v;
}

Value Value::tuple(ValueList items) {
  Value v = list(std::move(items));
  v.kind_ = ValueKind::kTuple;
  return v;
}

Value Value::dict(ValueDict items) {
  Value v;
  v.kind_ = ValueKind::kDict;
  v.data_ = std::make_shared<const ValueDict>(std::move(items));
  return v;
}

Value Value::callable(std::shared_ptr<const Callable> fn) {
  Value v;
  v.kind_ = ValueKind::kCallable;
  v.data_ = std::move(fn);
  return v;
}

Value Value::ns(std::shared_ptr<Namespace> ns) {
  Value v;
  v.kind_ = ValueKind::kNamespace;
  v.data_ = std::move(ns);
  return v;
}

Value Value::generator(ValueList items) {
  Value v;
  v.kind_ = ValueKind::kGenerator;
  v.data_ = std::make_shared<Generator>(Generator{std::move(items), false});
  return v;
}

Value Value::failed_generator(Status error) {
  Value v = generator({});
  v.gen().error = std::move(error);
  return v;
}

int64_t Value::as_int() const {
  if (is_bool()) return as_bool() ? 1 : 0;
  return std::get<int64_t>(data_);
}

double Value::as_float() const {
  if (is_float()) return std::get<double>(data_);
  return static_cast<double>(as_int());
}

const std::string& Value::undefined_name() const {
  static const std::string kEmpty;
  if (auto p = std::get_if<std::shared_ptr<const std::string>>(&data_)) return **p;
  return kEmpty;
}

const Value* ValueDict::find(const Value& key) const {
  for (const auto& [k, v] : entries) {
    if (equals(k, key)) return &v;
  }
  return nullptr;
}

const Value* ValueDict::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.is_string() && k.str() == key) return &v;
  }
  return nullptr;
}

void ValueDict::set(Value key, Value value) {
  for (auto& [k, v] : entries) {
    if (equals(k, key)) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::kwarg(std::string_view name) const {
  for (const auto& [k, v] : keyword) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return false;
    case ValueKind::kBool:
      return v.as_bool();
    case ValueKind::kInt:
      return v.as_int() != 0;
    case ValueKind::kFloat:
      return v.as_float() != 0.0;
    case ValueKind::kString:
      return !v.str().empty();
    case ValueKind::kList:
    case ValueKind::kTuple:
      return !v.items().empty();
    case ValueKind::kDict:
      return !v.dict().entries.empty();
    case ValueKind::kCallable:
    case ValueKind::kNamespace:
    case ValueKind::kGenerator:
      return true;
  }
  return false;
}

namespace {

std::string repr_dict(const ValueDict& d) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : d.entries) {
    if (!first) out += ", ";
    first = false;
    out += to_repr(k) + ": " + to_repr(v);
  }
  return out + "}";
}

std::string repr_items(const ValueList& items, bool tuple) {
  std::string out = tuple ? "(" : "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += to_repr(items[i]);
  }
  if (tuple && items.size() == 1) out += ",";
  return out + (tuple ? ")" : "]");
}

}  // namespace

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return "";
    case ValueKind::kString:
      return v.str();
    default:
      return to_repr(v);
  }
}

std::string to_repr(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return "Undefined";
    case ValueKind::kNone:
      return "None";
    case ValueKind::kBool:
      return v.as_bool() ? "True" : "False";
    case ValueKind::kInt:
      return std::to_string(v.as_int());
    case ValueKind::kFloat:
      return py_float_repr(v.as_float());
    case ValueKind::kString:
      return v.is_markup() ? "Markup(" + py_repr_string(v.str()) + ")" : py_repr_string(v.str());
    case ValueKind::kList:
    case ValueKind::kTuple:
      return repr_items(v.items(), v.is_tuple());
    case ValueKind::kDict:
      return repr_dict(v.dict());
    case ValueKind::kCallable:
      return "<function " + v.fn().name + ">";
    case ValueKind::kNamespace:
      return "<Namespace " + repr_dict(v.ns().attrs) + ">";
    case ValueKind::kGenerator:
      return "<generator object>";
  }
  return "";
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return "Undefined";
    case ValueKind::kNone:
      return "NoneType";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kString:
      return "str";
    case ValueKind::kList:
      return "list";
    case ValueKind::kTuple:
      return "tuple";
    case ValueKind::kDict:
      return "dict";
    case ValueKind::kCallable:
      return "function";
    case ValueKind::kNamespace:
      return "Namespace";
    case ValueKind::kGenerator:
      return "generator";
  }
  return "object";
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kUndefined:
    case ValueKind::kNone:
      return true;
    case ValueKind::kString:
      return a.str() == b.str();
    case ValueKind::kList:
    case ValueKind::kTuple: {
      const ValueList& x = a.items();
      const ValueList& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!equals(x[i], y[i])) return false;
      }
      return true;
    }
    case ValueKind::kDict: {
      const ValueDict& x = a.dict();
      const ValueDict& y = b.dict();
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [k, v] : x.entries) {
        const Value* other = y.find(k);
        if (other == nullptr || !equals(v, *other)) return false;
      }
      return true;
    }
    case ValueKind::kCallable:
      if (a.fn().bound_self && b.fn().bound_self) {
        return a.fn().name == b.fn().name && equals(*a.fn().bound_self, *b.fn().bound_self);
      }
      return &a.fn() == &b.fn();
    case ValueKind::kNamespace:
      return &a.ns() == &b.ns();
    case ValueKind::kGenerator:
      return &a.gen() == &b.gen();
    default:
      return false;
  }
}

StatusOr<int> compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.as_float();
      const double y = b.as_float();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    const int64_t x = a.as_int();
    const int64_t y = b.as_int();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.str().compare(b.str());  // UTF-8 byte order == code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.kind() == b.kind() && a.is_sequence()) {
    const ValueList& x = a.items();
    const ValueList& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (equals(x[i], y[i])) continue;
      return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return invalid_argument("'<' not supported between instances of '" + type_name(a) + "' and '" +
                          type_name(b) + "'");
}

std::optional<int64_t> length(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return 0;
    case ValueKind::kString:
      return static_cast<int64_t>(code_point_count(v.str()));
    case ValueKind::kList:
    case ValueKind::kTuple:
      return static_cast<int64_t>(v.items().size());
    case ValueKind::kDict:
      return static_cast<int64_t>(v.dict().entries.size());
    default:
      return std::nullopt;
  }
}

namespace {

void json_string(std::string_view s, std::string* out) {
  out->push_back('"');
  char buf[8];
  for (char32_t c : to_code_points(s)) {
    switch (c) {
      case U'"':
        *out += "\\\"";
        break;
      case U'\\':
        *out += "\\\\";
        break;
      case U'\n':
        *out += "\\n";
        break;
      case U'\r':
        *out += "\\r";
        break;
      case U'\t':
        *out += "\\t";
        break;
      case U'\b':
        *out += "\\b";
        break;
      case U'\f':
        *out += "\\f";
        break;
      default:
        if (c < 0x20) {
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          *out += buf;
        } else {
          utf8_append(static_cast<uint32_t>(c), out);
        }
    }
  }
  out->push_back('"');
}

std::string json_float(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
  return py_float_repr(f);
}

// json.dumps converts dict keys: str as is, numbers/bools/None to text.
StatusOr<std::string> json_key(const Value& k) {
  switch (k.kind()) {
    case ValueKind::kString:
      return k.str();
    case ValueKind::kBool:
      return std::string(k.as_bool() ? "true" : "false");
    case ValueKind::kNone:
      return std::string("null");
    case ValueKind::kInt:
      return std::to_string(k.as_int());
    case ValueKind::kFloat:
      return json_float(k.as_float());
    default:
      return invalid_argument("keys must be str, int, float, bool or None, not " + type_name(k));
  }
}

struct JsonWriter {
  const JsonDumpOptions& opts;
  std::string item_sep;
  std::string key_sep;
  std::string out;
  int depth = 0;

  void newline(int level) {
    if (!opts.indent) return;
    out += '\n';
    for (int i = 0; i < level; ++i) out += *opts.indent;
  }

  Status write(const Value& v) {
    if (depth > 500) return invalid_argument("tojson: value nested too deeply");
    switch (v.kind()) {
      case ValueKind::kNone:
        out += "null";
        return ok_status();
      case ValueKind::kBool:
        out += v.as_bool() ? "true" : "false";
        return ok_status();
      case ValueKind::kInt:
        out += std::to_string(v.as_int());
        return ok_status();
      case ValueKind::kFloat:
        out += json_float(v.as_float());
        return ok_status();
      case ValueKind::kString:
        json_string(v.str(), &out);
        return ok_status();
      case ValueKind::kList:
      case ValueKind::kTuple:
        return write_list(v.items());
      case ValueKind::kDict:
        return write_dict(v.dict());
      default:
        return invalid_argument("Object of type " + type_name(v) + " is not JSON serializable");
    }
  }

  Status write_list(const ValueList& items) {
    if (items.empty()) {
      out += "[]";
      return ok_status();
    }
    out += '[';
    ++depth;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += item_sep;
      newline(depth);
      IMP_RETURN_IF_ERROR(write(items[i]));
    }
    --depth;
    newline(depth);
    out += ']';
    return ok_status();
  }

  Status write_dict(const ValueDict& d) {
    if (d.entries.empty()) {
      out += "{}";
      return ok_status();
    }
    std::vector<std::pair<std::string, const Value*>> entries;
    for (const auto& [k, v] : d.entries) {
      IMP_ASSIGN_OR_RETURN(std::string key, json_key(k));
      entries.emplace_back(std::move(key), &v);
    }
    if (opts.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    out += '{';
    ++depth;
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out += item_sep;
      newline(depth);
      json_string(entries[i].first, &out);
      out += key_sep;
      IMP_RETURN_IF_ERROR(write(*entries[i].second));
    }
    --depth;
    newline(depth);
    out += '}';
    return ok_status();
  }
};

template <typename Json>
Value from_json_impl(const Json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::none();
    case nlohmann::json::value_t::boolean:
      return Value(j.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value(j.template get<double>());
    case nlohmann::json::value_t::string:
      return Value(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      ValueList items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json_impl(e));
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      ValueDict d;
      d.entries.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) {
        d.entries.emplace_back(Value(it.key()), from_json_impl(it.value()));
      }
      return Value::dict(std::move(d));
    }
    default:
      return Value::none();  // binary / discarded: not produced by JSON text
  }
}

}  // namespace

StatusOr<std::string> to_json(const Value& v, const JsonDumpOptions& opts) {
  JsonWriter w{opts, ", ", ": ", {}, 0};
  if (opts.indent) w.item_sep = ",";
  if (opts.separators) {
    w.item_sep = opts.separators->first;
    w.key_sep = opts.separators->second;
  }
  IMP_RETURN_IF_ERROR(w.write(v));
  return std::move(w.out);
}

Value from_json(const nlohmann::json& j) { return from_json_impl(j); }
Value from_json(const nlohmann::ordered_json& j) { return from_json_impl(j); }

}  // namespace impetus::jinja
