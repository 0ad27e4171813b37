// jinja2's built-in tests (`x is defined`, `x is string`, ...) and the
// global functions of the template environment.
#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/interpreter.h"
#include "tokenizer/chat_template/ops.h"
#include "tokenizer/chat_template/py_string.h"

namespace impetus::jinja {
namespace {

using TestFn = StatusOr<bool> (*)(Interpreter&, const Value&, const CallArgs&);

StatusOr<Value> need_arg(const CallArgs& a, std::string_view test) {
  const Value* v = arg(a, 0, "other");
  if (v == nullptr) return bad_arg(test, "missing argument");
  return *v;
}

StatusOr<int> cmp_arg(const Value& v, const CallArgs& a, std::string_view test) {
  IMP_ASSIGN_OR_RETURN(Value other, need_arg(a, test));
  if (v.is_undefined()) return undefined_error(v);
  if (other.is_undefined()) return undefined_error(other);
  return compare(v, other);
}

// Python's `v % m` for the odd / even / divisibleby tests (floats included).
StatusOr<double> py_rem(const Value& v, int64_t m) {
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_int() || v.is_bool()) return static_cast<double>(py_mod(v.as_int(), m));
  if (v.is_float()) return py_fmod(v.as_float(), static_cast<double>(m));
  return invalid_argument("TypeError: unsupported operand type(s) for %: '" + type_name(v) +
                          "' and 'int'");
}

StatusOr<bool> t_defined(Interpreter&, const Value& v, const CallArgs&) {
  return !v.is_undefined();
}
StatusOr<bool> t_undefined(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_undefined();
}
StatusOr<bool> t_none(Interpreter&, const Value& v, const CallArgs&) { return v.is_none(); }
StatusOr<bool> t_boolean(Interpreter&, const Value& v, const CallArgs&) { return v.is_bool(); }
StatusOr<bool> t_true(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_bool() && v.as_bool();
}
StatusOr<bool> t_false(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_bool() && !v.as_bool();
}
StatusOr<bool> t_string(Interpreter&, const Value& v, const CallArgs&) { return v.is_string(); }
StatusOr<bool> t_number(Interpreter&, const Value& v, const CallArgs&) { return v.is_number(); }
StatusOr<bool> t_integer(Interpreter&, const Value& v, const CallArgs&) { return v.is_int(); }
StatusOr<bool> t_float(Interpreter&, const Value& v, const CallArgs&) { return v.is_float(); }
StatusOr<bool> t_mapping(Interpreter&, const Value& v, const CallArgs&) { return v.is_dict(); }
StatusOr<bool> t_callable(Interpreter&, const Value& v, const CallArgs&) { return v.is_callable(); }
StatusOr<bool> t_escaped(Interpreter&, const Value& v, const CallArgs&) { return v.is_markup(); }

StatusOr<bool> t_iterable(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_generator() || v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict();
}

StatusOr<bool> t_sequence(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict();
}

StatusOr<bool> t_odd(Interpreter&, const Value& v, const CallArgs&) {
  IMP_ASSIGN_OR_RETURN(double r, py_rem(v, 2));
  return r == 1;
}

StatusOr<bool> t_even(Interpreter&, const Value& v, const CallArgs&) {
  IMP_ASSIGN_OR_RETURN(double r, py_rem(v, 2));
  return r == 0;
}

StatusOr<bool> t_divisibleby(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* n = arg(a, 0, "num");
  if (n == nullptr || !(n->is_int() || n->is_bool()))
    return bad_arg("divisibleby", "num must be an integer");
  if (n->as_int() == 0)
    return invalid_argument("ZeroDivisionError: integer division or modulo by zero");
  IMP_ASSIGN_OR_RETURN(double r, py_rem(v, n->as_int()));
  return r == 0;
}

StatusOr<bool> t_eq(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(Value other, need_arg(a, "eq"));
  return equals(v, other);
}

StatusOr<bool> t_ne(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(Value other, need_arg(a, "ne"));
  return !equals(v, other);
}

StatusOr<bool> t_lt(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int c, cmp_arg(v, a, "lt"));
  return c < 0;
}
StatusOr<bool> t_le(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int c, cmp_arg(v, a, "le"));
  return c <= 0;
}
StatusOr<bool> t_gt(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int c, cmp_arg(v, a, "gt"));
  return c > 0;
}
StatusOr<bool> t_ge(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int c, cmp_arg(v, a, "ge"));
  return c >= 0;
}

StatusOr<bool> t_in(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* seq = arg(a, 0, "seq");
  if (seq == nullptr) return bad_arg("in", "missing argument");
  return contains(*seq, v);
}

StatusOr<bool> t_sameas(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(Value other, need_arg(a, "sameas"));
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case ValueKind::kNone:
    case ValueKind::kUndefined:
      return true;
    case ValueKind::kBool:
      return v.as_bool() == other.as_bool();
    case ValueKind::kInt:
      return v.as_int() == other.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    case ValueKind::kString:
      return &v.str() == &other.str();
    case ValueKind::kList:
    case ValueKind::kTuple:
      return &v.items() == &other.items();
    case ValueKind::kDict:
      return &v.dict() == &other.dict();
    default:
      return equals(v, other);
  }
}

StatusOr<bool> t_lower(Interpreter&, const Value& v, const CallArgs&) {
  const std::string s = to_str(v);
  return py_lower(s) == s && py_upper(s) != s;
}

StatusOr<bool> t_upper(Interpreter&, const Value& v, const CallArgs&) {
  const std::string s = to_str(v);
  return py_upper(s) == s && py_lower(s) != s;
}

StatusOr<bool> t_filter(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_string() && is_known_filter(v.str());
}

StatusOr<bool> t_test(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_string() && is_known_test(v.str());
}

const std::unordered_map<std::string_view, TestFn>& test_table() {
  static const std::unordered_map<std::string_view, TestFn> kTable = {
      {"boolean", t_boolean},
      {"callable", t_callable},
      {"defined", t_defined},
      {"divisibleby", t_divisibleby},
      {"eq", t_eq},
      {"equalto", t_eq},
      {"==", t_eq},
      {"escaped", t_escaped},
      {"even", t_even},
      {"false", t_false},
      {"filter", t_filter},
      {"float", t_float},
      {"ge", t_ge},
      {">=", t_ge},
      {"gt", t_gt},
      {"greaterthan", t_gt},
      {">", t_gt},
      {"in", t_in},
      {"integer", t_integer},
      {"iterable", t_iterable},
      {"le", t_le},
      {"<=", t_le},
      {"lower", t_lower},
      {"lt", t_lt},
      {"lessthan", t_lt},
      {"<", t_lt},
      {"mapping", t_mapping},
      {"ne", t_ne},
      {"!=", t_ne},
      {"none", t_none},
      {"number", t_number},
      {"odd", t_odd},
      {"sameas", t_sameas},
      {"sequence", t_sequence},
      {"string", t_string},
      {"test", t_test},
      {"true", t_true},
      {"undefined", t_undefined},
      {"upper", t_upper},
  };
  return kTable;
}

// ---- globals ----

Value builtin(std::string name, std::function<StatusOr<Value>(Interpreter&, const CallArgs&)> fn) {
  auto c = std::make_shared<Callable>();
  c->name = std::move(name);
  c->call = std::move(fn);
  return Value::callable(std::move(c));
}

StatusOr<Value> g_range(Interpreter& in, const CallArgs& a) {
  if (!a.keyword.empty() || a.positional.empty() || a.positional.size() > 3) {
    return bad_arg("range", "expected 1 to 3 integer arguments");
  }
  int64_t v[3] = {0, 0, 1};
  for (const Value& x : a.positional) {
    if (!x.is_int() && !x.is_bool())
      return bad_arg("range", "'" + type_name(x) + "' object cannot be interpreted as an integer");
  }
  if (a.positional.size() == 1) {
    v[1] = a.positional[0].as_int();
  } else {
    for (size_t i = 0; i < a.positional.size(); ++i) v[i] = a.positional[i].as_int();
  }
  if (v[2] == 0) return invalid_argument("ValueError: range() arg 3 must not be zero");
  const __int128 span =
      v[2] > 0 ? static_cast<__int128>(v[1]) - v[0] : static_cast<__int128>(v[0]) - v[1];
  const __int128 step = v[2] > 0 ? v[2] : -static_cast<__int128>(v[2]);
  const __int128 n = span <= 0 ? 0 : (span + step - 1) / step;
  if (n > 100000) {  // the sandbox's MAX_RANGE
    return invalid_argument(
        "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(n)));
  ValueList out;
  for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) out.emplace_back(v[0] + i * v[2]);
  return Value::list(std::move(out));
}

StatusOr<Value> g_namespace(Interpreter& in, const CallArgs& a) {
  Value ns = in.make_namespace();
  for (const Value& p : a.positional) {
    if (!p.is_dict()) return bad_arg("namespace", "positional argument must be a mapping");
    for (const auto& [k, v] : p.dict().entries) ns.ns().attrs.set(k, v);
  }
  for (const auto& [k, v] : a.keyword) ns.ns().attrs.set(Value(k), v);
  return ns;
}

StatusOr<Value> g_dict(Interpreter&, const CallArgs& a) {
  ValueDict d;
  for (const Value& p : a.positional) {
    if (!p.is_dict()) return bad_arg("dict", "positional argument must be a mapping");
    for (const auto& [k, v] : p.dict().entries) d.set(k, v);
  }
  for (const auto& [k, v] : a.keyword) d.set(Value(k), v);
  return Value::dict(std::move(d));
}

StatusOr<Value> g_raise_exception(Interpreter&, const CallArgs& a) {
  const Value* msg = arg(a, 0, "message");
  return invalid_argument(msg ? to_str(*msg) : std::string("raise_exception called"));
}

StatusOr<Value> g_strftime_now(Interpreter& in, const CallArgs& a) {
  const Value* fmt = arg(a, 0, "format");
  if (fmt == nullptr || !fmt->is_string())
    return bad_arg("strftime_now", "format must be a string");
  const std::time_t t = std::chrono::system_clock::to_time_t(in.now());
  std::tm tm{};
  localtime_r(&t, &tm);
  std::string buf(fmt->str().size() * 8 + 64, '\0');
  const size_t n = std::strftime(buf.data(), buf.size(), fmt->str().c_str(), &tm);
  buf.resize(n);
  return Value(std::move(buf));
}

StatusOr<Value> g_joiner(Interpreter&, const CallArgs& a) {
  const Value* sep = arg(a, 0, "sep");
  auto state = std::make_shared<bool>(false);
  const std::string s = sep ? to_str(*sep) : ", ";
  return builtin("joiner", [state, s](Interpreter&, const CallArgs&) -> StatusOr<Value> {
    if (!*state) {
      *state = true;
      return Value(std::string());
    }
    return Value(s);
  });
}

}  // namespace

bool is_known_test(std::string_view name) { return test_table().count(name) > 0; }

StatusOr<bool> apply_test(Interpreter& in, std::string_view name, const Value& v,
                          const CallArgs& args) {
  auto it = test_table().find(name);
  if (it == test_table().end())
    return invalid_argument("no test named '" + std::string(name) + "'");
  static const std::unordered_set<std::string_view> kTakesArg = {
      "divisibleby", "eq", "equalto", "==",          "ne", "!=", "lt", "lessthan", "<",
      "le",          "<=", "gt",      "greaterthan", ">",  "ge", ">=", "in",       "sameas"};
  const size_t max_args = kTakesArg.count(name) > 0 ? 1 : 0;
  if (args.positional.size() + args.keyword.size() > max_args) {
    return invalid_argument("TypeError: test '" + std::string(name) + "' takes " +
                            std::to_string(max_args) + " argument(s)");
  }
  return it->second(in, v, args);
}

void add_globals(ValueDict* globals) {
  globals->set(Value("range"), builtin("range", g_range));
  globals->set(Value("namespace"), builtin("namespace", g_namespace));
  globals->set(Value("dict"), builtin("dict", g_dict));
  globals->set(Value("raise_exception"), builtin("raise_exception", g_raise_exception));
  globals->set(Value("strftime_now"), builtin("strftime_now", g_strftime_now));
  globals->set(Value("joiner"), builtin("joiner", g_joiner));
}

}  // namespace impetus::jinja
