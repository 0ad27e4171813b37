// Python methods of str, dict and list as the immutable sandbox allows them:
// non-mutating methods work, mutating ones (list.append, dict.update, ...)
// are a SecurityError, as in jinja2's ImmutableSandboxedEnvironment.
#include <unordered_set>

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/interpreter.h"
#include "tokenizer/chat_template/ops.h"
#include "tokenizer/chat_template/py_string.h"

namespace impetus::jinja {
namespace {

const std::unordered_set<std::string_view> kStrMethods = {
    "capitalize", "center",  "count",      "endswith",     "find",        "format",     "index",
    "isalnum",    "isalpha", "isdigit",    "islower",      "isspace",     "isupper",    "join",
    "ljust",      "lower",   "lstrip",     "partition",    "replace",     "rfind",      "rjust",
    "rpartition", "rsplit",  "rstrip",     "split",        "splitlines",  "startswith", "strip",
    "title",      "upper",   "zfill",      "casefold",     "swapcase",    "istitle",    "isnumeric",
    "isdecimal",  "encode",  "expandtabs", "removeprefix", "removesuffix"};
const std::unordered_set<std::string_view> kDictMethods = {
    "get", "items",   "keys",       "values", "copy",    "clear",
    "pop", "popitem", "setdefault", "update", "fromkeys"};
const std::unordered_set<std::string_view> kListMethods = {"index",  "count",   "copy",   "append",
                                                           "clear",  "extend",  "insert", "pop",
                                                           "remove", "reverse", "sort"};
const std::unordered_set<std::string_view> kUnsafe = {
    "clear",  "pop",    "popitem", "setdefault", "update", "append", "extend",
    "insert", "remove", "reverse", "sort",       "format", "encode", "fromkeys"};

Status unsafe(const Value& obj, std::string_view name) {
  return invalid_argument("SecurityError: access to attribute '" + std::string(name) + "' of '" +
                          type_name(obj) + "' object is unsafe.");
}

StatusOr<std::optional<std::string>> opt_str(const CallArgs& a, size_t i, std::string_view name) {
  const Value* v = arg(a, i, name);
  if (v == nullptr || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) return bad_arg(name, "expected a string");
  return std::optional<std::string>(v->str());
}

StatusOr<std::string> req_str(const CallArgs& a, size_t i, std::string_view fn) {
  const Value* v = arg(a, i, "");
  if (v == nullptr || !v->is_string()) return bad_arg(fn, "expected a string argument");
  return v->str();
}

StatusOr<int64_t> opt_int(const CallArgs& a, size_t i, std::string_view name, int64_t def) {
  const Value* v = arg(a, i, name);
  if (v == nullptr || v->is_none()) return def;
  if (!v->is_int() && !v->is_bool()) return bad_arg(name, "expected an integer");
  return v->as_int();
}

Value str_list(const std::vector<std::string>& parts) {
  ValueList out;
  for (const std::string& p : parts) out.emplace_back(p);
  return Value::list(std::move(out));
}

// startswith / endswith with a string or a tuple of strings.
StatusOr<Value> affix(const std::string& s, const CallArgs& a, bool prefix) {
  const Value* v = arg(a, 0, "prefix");
  if (v == nullptr) return bad_arg(prefix ? "startswith" : "endswith", "missing argument");
  ValueList cands = v->is_sequence() ? v->items() : ValueList{*v};
  for (const Value& c : cands) {
    if (!c.is_string())
      return bad_arg(prefix ? "startswith" : "endswith", "expected str or tuple of str");
    const std::string& p = c.str();
    if (p.size() <= s.size() && (prefix ? s.compare(0, p.size(), p) == 0
                                        : s.compare(s.size() - p.size(), p.size(), p) == 0)) {
      return Value(true);
    }
  }
  return Value(false);
}

template <typename Pred>
bool all_chars(const std::string& s, Pred pred) {
  const std::u32string cps = to_code_points(s);
  if (cps.empty()) return false;
  for (char32_t c : cps) {
    if (!pred(c)) return false;
  }
  return true;
}

StatusOr<Value> find_like(const std::string& s, const CallArgs& a, std::string_view name) {
  IMP_ASSIGN_OR_RETURN(std::string sub, req_str(a, 0, name));
  const bool reverse = name == "rfind" || name == "rindex";
  const size_t at = reverse ? s.rfind(sub) : s.find(sub);
  if (at == std::string::npos) {
    if (name == "index" || name == "rindex")
      return invalid_argument("ValueError: substring not found");
    return Value(int64_t{-1});
  }
  return Value(static_cast<int64_t>(code_point_count(std::string_view(s).substr(0, at))));
}

StatusOr<Value> pad(Interpreter& in, const std::string& s, const CallArgs& a,
                    std::string_view name) {
  IMP_ASSIGN_OR_RETURN(int64_t width, opt_int(a, 0, "width", 0));
  IMP_ASSIGN_OR_RETURN(auto fill_o, opt_str(a, 1, "fillchar"));
  const std::string fill = fill_o.value_or(" ");
  const auto n = static_cast<int64_t>(code_point_count(s));
  if (width <= n) return Value(s);
  IMP_RETURN_IF_ERROR(in.check_size(static_cast<size_t>(width) * fill.size()));
  const int64_t total = width - n;
  int64_t left = 0;
  if (name == "rjust" || name == "zfill") left = total;
  if (name == "center") left = total / 2 + (total & width & 1);
  std::string out;
  const std::string lead = name == "zfill" ? "0" : fill;
  for (int64_t i = 0; i < left; ++i) out += lead;
  if (name == "zfill" && !s.empty() && (s[0] == '-' || s[0] == '+')) {
    out = s.substr(0, 1) + out + s.substr(1);
  } else {
    out += s;
  }
  for (int64_t i = left; i < total; ++i) out += fill;
  return Value(std::move(out));
}

StatusOr<Value> partition(const std::string& s, const CallArgs& a, bool reverse) {
  IMP_ASSIGN_OR_RETURN(std::string sep, req_str(a, 0, "partition"));
  if (sep.empty()) return invalid_argument("ValueError: empty separator");
  const size_t at = reverse ? s.rfind(sep) : s.find(sep);
  if (at == std::string::npos) {
    return reverse ? Value::tuple({Value(""), Value(""), Value(s)})
                   : Value::tuple({Value(s), Value(""), Value("")});
  }
  return Value::tuple({Value(s.substr(0, at)), Value(sep), Value(s.substr(at + sep.size()))});
}

StatusOr<Value> str_method(Interpreter& in, const Value& obj, std::string_view name,
                           const CallArgs& a) {
  const std::string& s = obj.str();
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    IMP_ASSIGN_OR_RETURN(auto chars, opt_str(a, 0, "chars"));
    const StripSide side = name == "strip"    ? StripSide::kBoth
                           : name == "lstrip" ? StripSide::kLeft
                                              : StripSide::kRight;
    return Value(py_strip(s, side, chars));
  }
  if (name == "split" || name == "rsplit") {
    IMP_ASSIGN_OR_RETURN(auto sep, opt_str(a, 0, "sep"));
    IMP_ASSIGN_OR_RETURN(int64_t maxsplit, opt_int(a, 1, "maxsplit", -1));
    if (sep && sep->empty()) return invalid_argument("ValueError: empty separator");
    IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(s.size() / 16)));
    return str_list(name == "split" ? py_split(s, sep, maxsplit) : py_rsplit(s, sep, maxsplit));
  }
  if (name == "splitlines")
    return str_list(
        py_splitlines(s, truthy(arg(a, 0, "keepends") ? *arg(a, 0, "keepends") : Value(false))));
  if (name == "startswith" || name == "endswith") return affix(s, a, name == "startswith");
  if (name == "upper") return Value(py_upper(s));
  if (name == "lower" || name == "casefold") return Value(py_lower(s));
  if (name == "title") return Value(py_title(s));
  if (name == "capitalize") return Value(py_capitalize(s));
  if (name == "replace") {
    IMP_ASSIGN_OR_RETURN(std::string o, req_str(a, 0, "replace"));
    const Value* nv = arg(a, 1, "");
    if (nv == nullptr || !nv->is_string()) return bad_arg("replace", "expected a string argument");
    IMP_ASSIGN_OR_RETURN(int64_t count, opt_int(a, 2, "count", -1));
    std::string out = py_replace(s, o, nv->str(), count);
    IMP_RETURN_IF_ERROR(in.check_size(out.size()));
    return Value(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex")
    return find_like(s, a, name);
  if (name == "count") {
    IMP_ASSIGN_OR_RETURN(std::string sub, req_str(a, 0, "count"));
    if (sub.empty()) return Value(static_cast<int64_t>(code_point_count(s) + 1));
    int64_t n = 0;
    for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
    return Value(n);
  }
  if (name == "join") {
    const Value* it = arg(a, 0, "iterable");
    if (it == nullptr) return bad_arg("join", "missing argument");
    IMP_ASSIGN_OR_RETURN(ValueList items, iterate(*it));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string())
        return bad_arg("join", "sequence item " + std::to_string(i) + ": expected str instance");
      if (i > 0) out += s;
      out += items[i].str();
      IMP_RETURN_IF_ERROR(in.check_size(out.size()));
    }
    return Value(std::move(out));
  }
  if (name == "center" || name == "ljust" || name == "rjust" || name == "zfill")
    return pad(in, s, a, name);
  if (name == "partition" || name == "rpartition") return partition(s, a, name == "rpartition");
  if (name == "removeprefix" || name == "removesuffix") {
    IMP_ASSIGN_OR_RETURN(std::string x, req_str(a, 0, name));
    if (name == "removeprefix" && s.compare(0, x.size(), x) == 0) return Value(s.substr(x.size()));
    if (name == "removesuffix" && !x.empty() && s.size() >= x.size() &&
        s.compare(s.size() - x.size(), x.size(), x) == 0) {
      return Value(s.substr(0, s.size() - x.size()));
    }
    return Value(s);
  }
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
    return Value(all_chars(s, [](char32_t c) { return c >= U'0' && c <= U'9'; }));
  }
  if (name == "isalpha")
    return Value(
        all_chars(s, [](char32_t c) { return c >= 0x80 || isalpha(static_cast<int>(c)); }));
  if (name == "isalnum")
    return Value(
        all_chars(s, [](char32_t c) { return c >= 0x80 || isalnum(static_cast<int>(c)); }));
  if (name == "isspace") return Value(all_chars(s, py_isspace));
  if (name == "islower") return Value(py_lower(s) == s && py_upper(s) != s);
  if (name == "isupper") return Value(py_upper(s) == s && py_lower(s) != s);
  if (name == "istitle") return Value(py_title(s) == s && py_lower(s) != s);
  if (name == "swapcase") {
    std::string out;
    for (char32_t c : to_code_points(s)) {
      const std::string one = from_code_points(std::u32string(1, c));
      const std::string up = py_upper(one);
      out += up != one ? up : py_lower(one);
    }
    return Value(std::move(out));
  }
  if (name == "expandtabs") return Value(py_replace(s, "\t", "        ", -1));
  return unimplemented("str." + std::string(name) + " is not supported");
}

StatusOr<Value> dict_method(const Value& obj, std::string_view name, const CallArgs& a) {
  const ValueDict& d = obj.dict();
  if (name == "get") {
    const Value* key = arg(a, 0, "key");
    if (key == nullptr) return bad_arg("get", "missing key");
    const Value* def = arg(a, 1, "default");
    const Value* v = d.find(*key);
    if (v != nullptr) return *v;
    return def ? *def : Value::none();
  }
  ValueList out;
  for (const auto& [k, v] : d.entries) {
    if (name == "items") out.push_back(Value::tuple({k, v}));
    if (name == "keys") out.push_back(k);
    if (name == "values") out.push_back(v);
  }
  if (name == "copy") return obj;
  return Value::list(std::move(out));
}

StatusOr<Value> list_method(const Value& obj, std::string_view name, const CallArgs& a) {
  const ValueList& items = obj.items();
  if (name == "copy") return obj;
  const Value* x = arg(a, 0, "value");
  if (x == nullptr) return bad_arg(name, "missing argument");
  int64_t n = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!equals(items[i], *x)) continue;
    if (name == "index") return Value(static_cast<int64_t>(i));
    ++n;
  }
  if (name == "index") return invalid_argument("ValueError: value is not in list");
  return Value(n);
}

}  // namespace

bool has_method(const Value& obj, std::string_view name) {
  if (obj.is_string()) return kStrMethods.count(name) > 0;
  if (obj.is_dict()) return kDictMethods.count(name) > 0;
  if (obj.is_sequence()) return kListMethods.count(name) > 0;
  return false;
}

StatusOr<Value> call_method(Interpreter& in, const Value& obj, std::string_view name,
                            const CallArgs& args) {
  if (kUnsafe.count(name) > 0 && !(obj.is_sequence() && name == "copy")) return unsafe(obj, name);
  if (obj.is_string()) {
    IMP_ASSIGN_OR_RETURN(Value r, str_method(in, obj, name, args));
    // Markup's methods return Markup.
    if (!obj.is_markup()) return r;
    if (r.is_string()) return Value::markup(r.str());
    if (r.is_sequence()) {  // split() and partition() give Markup parts
      ValueList parts;
      for (const Value& p : r.items()) parts.push_back(p.is_string() ? Value::markup(p.str()) : p);
      return r.is_tuple() ? Value::tuple(std::move(parts)) : Value::list(std::move(parts));
    }
    return r;
  }
  if (obj.is_dict()) return dict_method(obj, name, args);
  if (obj.is_sequence()) return list_method(obj, name, args);
  return invalid_argument("no method " + std::string(name));
}

Value bound_method(const Value& obj, std::string_view name) {
  auto c = std::make_shared<Callable>();
  c->name = type_name(obj) + "." + std::string(name);
  std::string n(name);
  c->call = [obj, n](Interpreter& in, const CallArgs& args) {
    return call_method(in, obj, n, args);
  };
  c->bound_self = obj;
  return Value::callable(std::move(c));
}

}  // namespace impetus::jinja
