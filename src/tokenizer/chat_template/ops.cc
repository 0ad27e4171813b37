#include "tokenizer/chat_template/ops.h"

#include <cmath>

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/interpreter.h"
#include "tokenizer/chat_template/py_string.h"

namespace impetus::jinja {

Status undefined_error(const Value& u) {
  if (!u.undefined_name().empty()) {
    return invalid_argument("UndefinedError: '" + u.undefined_name() + "' is undefined");
  }
  return invalid_argument("UndefinedError: use of an undefined value");
}

namespace {

Status type_error(std::string_view op, const Value& a, const Value& b) {
  return invalid_argument("TypeError: unsupported operand type(s) for " + std::string(op) + ": '" +
                          type_name(a) + "' and '" + type_name(b) + "'");
}

Status overflow() { return invalid_argument("OverflowError: integer result out of range"); }

StatusOr<Value> float_arith(std::string_view op, double x, double y) {
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "**") {
    if (x == 0.0 && y < 0)
      return invalid_argument("ZeroDivisionError: 0.0 cannot be raised to a negative power");
    return Value(std::pow(x, y));
  }
  if (y == 0.0) return invalid_argument("ZeroDivisionError: float division by zero");
  if (op == "/") return Value(x / y);
  if (op == "%") return Value(py_fmod(x, y));
  // Python's float floor division (Objects/floatobject.c float_divmod).
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0.0 && ((y < 0) != (mod < 0))) div -= 1.0;
  if (div == 0.0) return Value(std::copysign(0.0, x / y));
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return Value(floordiv);
}

StatusOr<Value> int_pow(int64_t base, int64_t exp) {
  if (exp < 0) {
    if (base == 0)
      return invalid_argument("ZeroDivisionError: 0.0 cannot be raised to a negative power");
    return Value(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  }
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) return overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return overflow();
  }
  return Value(result);
}

StatusOr<Value> int_arith(std::string_view op, int64_t x, int64_t y) {
  int64_t r = 0;
  if (op == "+") {
    if (__builtin_add_overflow(x, y, &r)) return overflow();
    return Value(r);
  }
  if (op == "-") {
    if (__builtin_sub_overflow(x, y, &r)) return overflow();
    return Value(r);
  }
  if (op == "*") {
    if (__builtin_mul_overflow(x, y, &r)) return overflow();
    return Value(r);
  }
  if (op == "**") return int_pow(x, y);
  if (y == 0) return invalid_argument("ZeroDivisionError: division by zero");
  if (op == "/") return Value(static_cast<double>(x) / static_cast<double>(y));
  if (x == INT64_MIN && y == -1) return op == "%" ? StatusOr<Value>(Value(int64_t{0})) : overflow();
  if (op == "//") return Value(py_floordiv(x, y));
  return Value(py_mod(x, y));
}

StatusOr<Value> repeat(Interpreter& in, const Value& seq, int64_t n) {
  if (n <= 0) {
    if (seq.is_string()) return seq.is_markup() ? Value::markup("") : Value(std::string());
    return seq.is_tuple() ? Value::tuple({}) : Value::list({});
  }
  if (seq.is_string()) {
    const size_t total = seq.str().size() * static_cast<size_t>(n);
    if (!seq.str().empty() && total / seq.str().size() != static_cast<size_t>(n)) return overflow();
    IMP_RETURN_IF_ERROR(in.check_size(total));
    std::string out;
    out.reserve(total);
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return seq.is_markup() ? Value::markup(std::move(out)) : Value(std::move(out));
  }
  const size_t total = seq.items().size() * static_cast<size_t>(n);
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(std::min<size_t>(total, INT64_MAX / 2))));
  ValueList out;
  out.reserve(total);
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return seq.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

}  // namespace

StatusOr<Value> arithmetic(Interpreter& in, std::string_view op, const Value& a, const Value& b) {
  if (op == "%" && a.is_string()) return percent_format(in, a, b);
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return float_arith(op, a.as_float(), b.as_float());
    return int_arith(op, a.as_int(), b.as_int());
  }
  if (op == "+") {
    if (a.is_string() && b.is_string()) {
      IMP_RETURN_IF_ERROR(in.check_size(a.str().size() + b.str().size()));
      if (!a.is_markup() && !b.is_markup()) return Value(a.str() + b.str());
      if (!a.is_markup()) {
        // Markup is a str subclass with __radd__, which Python tries first:
        // the plain left side is escaped.
        const std::string left = html_escape(a.str());
        IMP_RETURN_IF_ERROR(in.check_size(left.size() + b.str().size()));
        return Value::markup(left + b.str());
      }
      // Markup.__add__ escapes a plain right side.
      const std::string right = b.is_markup() ? b.str() : html_escape(b.str());
      IMP_RETURN_IF_ERROR(in.check_size(a.str().size() + right.size()));
      return Value::markup(a.str() + right);
    }
    if (a.kind() == b.kind() && a.is_sequence()) {
      IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(a.items().size() + b.items().size())));
      ValueList out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return a.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
    }
  }
  if (op == "*") {
    const bool a_seq = a.is_string() || a.is_sequence();
    const bool b_seq = b.is_string() || b.is_sequence();
    if (a_seq && (b.is_int() || b.is_bool())) return repeat(in, a, b.as_int());
    if (b_seq && (a.is_int() || a.is_bool())) return repeat(in, b, a.as_int());
  }
  return type_error(op, a, b);
}

StatusOr<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case ValueKind::kString:
      if (item.is_undefined()) return undefined_error(item);
      if (!item.is_string()) {
        return invalid_argument("TypeError: 'in <string>' requires string as left operand, not " +
                                type_name(item));
      }
      return container.str().find(item.str()) != std::string::npos;
    case ValueKind::kList:
    case ValueKind::kTuple:
      for (const Value& v : container.items()) {
        if (equals(v, item)) return true;
      }
      return false;
    case ValueKind::kDict:
      return container.dict().find(item) != nullptr;
    case ValueKind::kUndefined:
      return false;
    case ValueKind::kGenerator: {
      IMP_ASSIGN_OR_RETURN(ValueList items, iterate(container));
      for (const Value& v : items) {
        if (equals(v, item)) return true;
      }
      return false;
    }
    default:
      return invalid_argument("TypeError: argument of type '" + type_name(container) +
                              "' is not iterable");
  }
}

StatusOr<Value> get_attr(const Value& obj, const std::string& name) {
  switch (obj.kind()) {
    case ValueKind::kUndefined:
      return undefined_error(obj);
    case ValueKind::kDict: {
      if (has_method(obj, name)) return bound_method(obj, name);
      const Value* v = obj.dict().find(name);
      return v != nullptr ? *v : Value::undefined(name);
    }
    case ValueKind::kNamespace: {
      const Value* v = obj.ns().attrs.find(name);
      return v != nullptr ? *v : Value::undefined(name);
    }
    case ValueKind::kString:
    case ValueKind::kList:
    case ValueKind::kTuple:
      if (has_method(obj, name)) return bound_method(obj, name);
      return Value::undefined(name);
    default:
      return Value::undefined(name);
  }
}

namespace {

// Python index normalization; nullopt when out of range.
std::optional<size_t> py_index(int64_t i, size_t n) {
  if (i < 0) i += static_cast<int64_t>(n);
  if (i < 0 || i >= static_cast<int64_t>(n)) return std::nullopt;
  return static_cast<size_t>(i);
}

}  // namespace

StatusOr<Value> get_item(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case ValueKind::kUndefined:
      return undefined_error(obj);
    case ValueKind::kDict: {
      const Value* v = obj.dict().find(key);
      if (v != nullptr) return *v;
      break;
    }
    case ValueKind::kList:
    case ValueKind::kTuple:
      if (key.is_int() || key.is_bool()) {
        auto i = py_index(key.as_int(), obj.items().size());
        if (i) return obj.items()[*i];
        return Value::undefined();
      }
      break;
    case ValueKind::kString:
      if (key.is_int() || key.is_bool()) {
        const std::u32string cps = to_code_points(obj.str());
        auto i = py_index(key.as_int(), cps.size());
        if (i) {
          std::string ch = from_code_points(std::u32string_view(&cps[*i], 1));
          return obj.is_markup() ? Value::markup(std::move(ch)) : Value(std::move(ch));
        }
        return Value::undefined();
      }
      break;
    default:
      break;
  }
  if (key.is_string()) return get_attr(obj, key.str());
  return Value::undefined();
}

StatusOr<Value> slice(const Value& obj, const Value& start_v, const Value& stop_v,
                      const Value& step_v) {
  if (obj.is_undefined()) return undefined_error(obj);
  auto to_opt = [](const Value& v, const char* what) -> StatusOr<std::optional<int64_t>> {
    if (v.is_undefined() || v.is_none()) return std::optional<int64_t>();
    if (!v.is_int() && !v.is_bool()) {
      return invalid_argument(std::string("TypeError: slice ") + what +
                              " must be an integer or None");
    }
    return std::optional<int64_t>(v.as_int());
  };
  IMP_ASSIGN_OR_RETURN(auto start, to_opt(start_v, "start"));
  IMP_ASSIGN_OR_RETURN(auto stop, to_opt(stop_v, "stop"));
  IMP_ASSIGN_OR_RETURN(auto step_o, to_opt(step_v, "step"));
  const int64_t step = step_o.value_or(1);
  if (step == 0) return invalid_argument("ValueError: slice step cannot be zero");
  std::u32string cps;
  size_t n = 0;
  if (obj.is_string()) {
    cps = to_code_points(obj.str());
    n = cps.size();
  } else if (obj.is_sequence()) {
    n = obj.items().size();
  } else {
    // jinja2 compiles a slice to a plain Python subscript: no Undefined fallback.
    return invalid_argument("TypeError: '" + type_name(obj) + "' object is not subscriptable");
  }
  const auto len = static_cast<int64_t>(n);
  auto adjust = [&](std::optional<int64_t> v, int64_t def) {
    if (!v) return def;
    int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= len) {
      x = step < 0 ? len - 1 : len;
    }
    return x;
  };
  const int64_t b = adjust(start, step < 0 ? len - 1 : 0);
  const int64_t e = adjust(stop, step < 0 ? -1 : len);
  std::vector<size_t> idx;
  for (int64_t i = b; step > 0 ? i < e : i > e; i += step) idx.push_back(static_cast<size_t>(i));
  if (obj.is_string()) {
    std::u32string out;
    for (size_t i : idx) out += cps[i];
    return obj.is_markup() ? Value::markup(from_code_points(out)) : Value(from_code_points(out));
  }
  ValueList out;
  for (size_t i : idx) out.push_back(obj.items()[i]);
  return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

StatusOr<ValueList> iterate(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kUndefined:
      return ValueList{};
    case ValueKind::kGenerator: {
      Generator& g = v.gen();
      if (!g.error.ok()) return g.error;
      if (g.consumed) return ValueList{};
      g.consumed = true;
      return std::move(g.items);
    }
    case ValueKind::kList:
    case ValueKind::kTuple:
      return v.items();
    case ValueKind::kDict: {
      ValueList keys;
      keys.reserve(v.dict().entries.size());
      for (const auto& [k, val] : v.dict().entries) keys.push_back(k);
      return keys;
    }
    case ValueKind::kString: {
      ValueList chars;
      for (char32_t c : to_code_points(v.str()))
        chars.emplace_back(from_code_points(std::u32string(1, c)));
      return chars;
    }
    default:
      return invalid_argument("TypeError: '" + type_name(v) + "' object is not iterable");
  }
}

}  // namespace impetus::jinja
