// jinja2's built-in filters (the subset chat templates use), with
// transformers' tojson.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include "tokenizer/chat_template/builtins.h"
#include "tokenizer/chat_template/interpreter.h"
#include "tokenizer/chat_template/ops.h"
#include "tokenizer/chat_template/py_string.h"

namespace impetus::jinja {

const Value* arg(const CallArgs& args, size_t i, std::string_view name) {
  if (i < args.positional.size()) return &args.positional[i];
  return args.kwarg(name);
}

Status bad_arg(std::string_view fn, std::string_view what) {
  return invalid_argument("TypeError: " + std::string(fn) + ": " + std::string(what));
}

namespace {

using FilterFn = StatusOr<Value> (*)(Interpreter&, const Value&, const CallArgs&);

// Keeps a Markup input's flag on a string result (Markup methods return Markup).
Value same_kind(const Value& in, std::string s) {
  return in.is_markup() ? Value::markup(std::move(s)) : Value(std::move(s));
}

StatusOr<std::optional<std::string>> opt_string(const Value* v, std::string_view fn) {
  if (v == nullptr || v->is_none() || v->is_undefined()) return std::optional<std::string>();
  if (!v->is_string()) return bad_arg(fn, "expected a string argument");
  return std::optional<std::string>(v->str());
}

StatusOr<int64_t> int_arg(const Value* v, int64_t def, std::string_view fn) {
  if (v == nullptr || v->is_none()) return def;
  if (!v->is_int() && !v->is_bool()) return bad_arg(fn, "expected an integer argument");
  return v->as_int();
}

bool bool_arg(const Value* v, bool def) { return v == nullptr ? def : truthy(*v); }

// make_attrgetter: "a.b" / "0" parts through getitem; Undefined propagates.
StatusOr<Value> attr_path(const Value& item, const Value& attribute) {
  if (!attribute.is_string()) return get_item(item, attribute);
  Value cur = item;
  for (const std::string& part : py_split(attribute.str(), std::string("."), -1)) {
    Value key(part);
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      key = Value(static_cast<int64_t>(std::strtoll(part.c_str(), nullptr, 10)));
    }
    IMP_ASSIGN_OR_RETURN(cur, get_item(cur, key));
  }
  return cur;
}

// Sort key: strings lowered unless case_sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(py_lower(v.str()));
  return v;
}

Status sort_values(std::vector<std::pair<Value, Value>>* kv, bool reverse) {
  Status err;
  std::stable_sort(kv->begin(), kv->end(), [&](const auto& a, const auto& b) {
    if (!err.ok()) return false;
    auto c = reverse ? compare(b.first, a.first) : compare(a.first, b.first);
    if (!c.ok()) {
      err = c.status();
      return false;
    }
    return *c < 0;
  });
  return err;
}

StatusOr<Value> f_abs(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_float()) return Value(std::fabs(v.as_float()));
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) return invalid_argument("OverflowError: integer out of range");
    return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
  }
  if (v.is_undefined()) return undefined_error(v);
  return bad_arg("abs", "bad operand type '" + type_name(v) + "'");
}

StatusOr<Value> f_batch_eager(Interpreter& in, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int64_t n, int_arg(arg(a, 0, "linecount"), 0, "batch"));
  if (n <= 0) return bad_arg("batch", "linecount must be positive");
  const Value* fill = arg(a, 1, "fill_with");
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(items.size())));
  ValueList out;
  ValueList cur;
  for (Value& x : items) {
    cur.push_back(std::move(x));
    if (static_cast<int64_t>(cur.size()) == n) {
      out.push_back(Value::list(std::move(cur)));
      cur.clear();
    }
  }
  if (!cur.empty()) {
    if (fill != nullptr && !fill->is_none()) {
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*fill);
    }
    out.push_back(Value::list(std::move(cur)));
  }
  return Value::generator(std::move(out));
}

StatusOr<Value> f_capitalize(Interpreter&, const Value& v, const CallArgs&) {
  return same_kind(v, py_capitalize(to_str(v)));
}

StatusOr<Value> f_center(Interpreter& in, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int64_t width, int_arg(arg(a, 0, "width"), 80, "center"));
  const std::string s = to_str(v);
  const auto n = static_cast<int64_t>(code_point_count(s));
  if (width <= n) return same_kind(v, s);
  IMP_RETURN_IF_ERROR(in.check_size(static_cast<size_t>(width)));
  const int64_t pad = width - n;
  const int64_t left = pad / 2 + (pad & width & 1);  // Python's str.center
  return same_kind(v, std::string(static_cast<size_t>(left), ' ') + s +
                          std::string(static_cast<size_t>(pad - left), ' '));
}

StatusOr<Value> f_length(Interpreter&, const Value& v, const CallArgs&) {
  auto n = length(v);
  if (!n) return bad_arg("length", "object of type '" + type_name(v) + "' has no len()");
  return Value(*n);
}

StatusOr<Value> f_default(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* def = arg(a, 0, "default_value");
  const bool boolean = bool_arg(arg(a, 1, "boolean"), false);
  if (v.is_undefined() || (boolean && !truthy(v))) return def ? *def : Value(std::string());
  return v;
}

StatusOr<Value> f_dictsort(Interpreter& in, const Value& v, const CallArgs& a) {
  if (!v.is_dict()) return bad_arg("dictsort", "you can only sort a mapping");
  const bool cs = bool_arg(arg(a, 0, "case_sensitive"), false);
  const Value* by = arg(a, 1, "by");
  const bool by_value = by != nullptr && by->is_string() && by->str() == "value";
  if (by != nullptr && !(by->is_string() && (by->str() == "key" || by->str() == "value"))) {
    return bad_arg("dictsort", "You can only sort by either \"key\" or \"value\"");
  }
  const bool reverse = bool_arg(arg(a, 2, "reverse"), false);
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(v.dict().entries.size())));
  std::vector<std::pair<Value, Value>> kv;
  for (const auto& [k, val] : v.dict().entries) {
    kv.emplace_back(sort_key(by_value ? val : k, cs), Value::tuple({k, val}));
  }
  IMP_RETURN_IF_ERROR(sort_values(&kv, reverse));
  ValueList out;
  for (auto& p : kv) out.push_back(std::move(p.second));
  return Value::list(std::move(out));
}

StatusOr<Value> f_escape(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_markup()) return v;
  return Value::markup(html_escape(to_str(v)));
}

StatusOr<Value> f_first(Interpreter&, const Value& v, const CallArgs&) {
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  if (items.empty()) return Value::undefined();
  return items.front();
}

StatusOr<Value> f_last(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_generator()) return bad_arg("last", "'generator' object is not reversible");
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  if (items.empty()) return Value::undefined();
  return items.back();
}

// Python float(str): optional whitespace, sign, digits with `_`, inf/nan.
std::optional<double> parse_py_float(std::string s) {
  s = py_strip(s, StripSide::kBoth, std::nullopt);
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 >= s.size() || !isdigit(static_cast<unsigned char>(s[i - 1])) ||
          !isdigit(static_cast<unsigned char>(s[i + 1]))) {
        return std::nullopt;
      }
      continue;
    }
    t += s[i];
  }
  if (t.empty() || t.find_first_of("xXpP") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

StatusOr<Value> f_float(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  const Value fallback = def ? *def : Value(0.0);
  if (v.is_undefined()) return undefined_error(v);  // float(Undefined) raises
  if (v.is_number()) return Value(v.as_float());
  if (v.is_string()) {
    auto d = parse_py_float(v.str());
    if (d) return Value(*d);
  }
  return fallback;
}

// Python int(str, base): whitespace, sign, optional prefix, digits with `_`.
std::optional<int64_t> parse_py_int(std::string s, int64_t base) {
  s = py_strip(s, StripSide::kBoth, std::nullopt);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.erase(0, 1);
  }
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(tolower(s[1]));
    const int64_t pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pb != 0 && (base == pb || base == 0)) {
      base = pb;
      s.erase(0, 2);
      if (!s.empty() && s[0] == '_') s.erase(0, 1);
    }
  }
  if (base == 0) base = 10;
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  int64_t r = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (s[i - 1] == '_') return std::nullopt;
      continue;
    }
    const int c = tolower(static_cast<unsigned char>(s[i]));
    const int d = isdigit(c) ? c - '0' : (isalpha(c) ? c - 'a' + 10 : 99);
    if (d >= base) return std::nullopt;
    if (__builtin_mul_overflow(r, base, &r) || __builtin_add_overflow(r, d, &r))
      return std::nullopt;
  }
  return neg ? -r : r;
}

StatusOr<Value> f_int(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* def = arg(a, 0, "default");
  IMP_ASSIGN_OR_RETURN(int64_t base, int_arg(arg(a, 1, "base"), 10, "int"));
  const Value fallback = def ? *def : Value(int64_t{0});
  if (v.is_undefined()) return undefined_error(v);  // int(Undefined) raises
  if (v.is_int() || v.is_bool()) return Value(v.as_int());
  if (v.is_float()) {
    const double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback;
    return Value(static_cast<int64_t>(std::trunc(d)));
  }
  if (v.is_string()) {
    if (auto i = parse_py_int(v.str(), base)) return Value(*i);
    if (auto d = parse_py_float(v.str())) {
      if (std::isfinite(*d) && std::fabs(*d) < 9.2e18)
        return Value(static_cast<int64_t>(std::trunc(*d)));
    }
  }
  return fallback;
}

StatusOr<Value> f_items_eager(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined()) return Value::generator({});
  if (!v.is_dict()) return bad_arg("items", "Can only get item pairs from a mapping.");
  ValueList out;
  for (const auto& [k, val] : v.dict().entries) out.push_back(Value::tuple({k, val}));
  return Value::generator(std::move(out));
}

StatusOr<Value> f_join(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* d = arg(a, 0, "d");
  const Value* attribute = arg(a, 1, "attribute");
  const std::string sep = d ? to_str(*d) : "";
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    if (attribute != nullptr && !attribute->is_none()) {
      IMP_ASSIGN_OR_RETURN(Value x, attr_path(items[i], *attribute));
      out += to_str(x);
    } else {
      out += to_str(items[i]);
    }
    IMP_RETURN_IF_ERROR(in.check_size(out.size()));
  }
  return Value(std::move(out));
}

StatusOr<Value> f_list(Interpreter& in, const Value& v, const CallArgs&) {
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(items.size())));
  return Value::list(std::move(items));
}

StatusOr<Value> f_lower(Interpreter&, const Value& v, const CallArgs&) {
  return same_kind(v, py_lower(to_str(v)));
}

StatusOr<Value> f_upper(Interpreter&, const Value& v, const CallArgs&) {
  return same_kind(v, py_upper(to_str(v)));
}

StatusOr<Value> f_title(Interpreter&, const Value& v, const CallArgs&) {
  return Value(jinja_title(to_str(v)));  // "".join(...): a plain str
}

StatusOr<Value> f_trim(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(auto chars, opt_string(arg(a, 0, "chars"), "trim"));
  return same_kind(v, py_strip(to_str(v), StripSide::kBoth, chars));
}

StatusOr<Value> f_string(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_string()) return v;
  return Value(to_str(v));
}

StatusOr<Value> f_safe(Interpreter&, const Value& v, const CallArgs&) {
  return Value::markup(to_str(v));
}

StatusOr<Value> f_replace(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* old_v = arg(a, 0, "old");
  const Value* new_v = arg(a, 1, "new");
  if (old_v == nullptr || new_v == nullptr) return bad_arg("replace", "missing arguments");
  IMP_ASSIGN_OR_RETURN(int64_t count, int_arg(arg(a, 2, "count"), -1, "replace"));
  std::string out = py_replace(to_str(v), to_str(*old_v), to_str(*new_v), count);
  IMP_RETURN_IF_ERROR(in.check_size(out.size()));
  return Value(std::move(out));
}

StatusOr<Value> f_reverse(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_string()) {
    std::u32string cps = to_code_points(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value(from_code_points(cps));
  }
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  std::reverse(items.begin(), items.end());
  // reversed() gives an iterator; a generator is not reversible and becomes a list.
  return v.is_generator() ? Value::list(std::move(items)) : Value::generator(std::move(items));
}

StatusOr<Value> f_round(Interpreter&, const Value& v, const CallArgs& a) {
  IMP_ASSIGN_OR_RETURN(int64_t precision, int_arg(arg(a, 0, "precision"), 0, "round"));
  const Value* m = arg(a, 1, "method");
  const std::string method = m ? to_str(*m) : "common";
  if (method != "common" && method != "floor" && method != "ceil") {
    return bad_arg("round", "method must be common, ceil or floor");
  }
  if (!v.is_number()) return bad_arg("round", "type " + type_name(v) + " doesn't define __round__");
  if (method == "common" && !v.is_float()) return Value(v.as_int());  // round(int, n) stays int
  const double x = v.as_float();
  if (method != "common") {
    const double scale = std::pow(10.0, static_cast<double>(precision));
    return Value((method == "floor" ? std::floor(x * scale) : std::ceil(x * scale)) / scale);
  }
  if (!std::isfinite(x) || precision > 300) return Value(x);
  if (precision < -300) return Value(0.0 * x);
  // Python rounds the exact binary value half-to-even: printf does the same.
  char buf[512];
  if (precision >= 0) {
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(precision), x);
    return Value(std::strtod(buf, nullptr));
  }
  const double scale = std::pow(10.0, static_cast<double>(-precision));
  std::snprintf(buf, sizeof(buf), "%.0f", x / scale);
  return Value(std::strtod(buf, nullptr) * scale);
}

StatusOr<Value> f_tojson(Interpreter& in, const Value& v, const CallArgs& a) {
  JsonDumpOptions o;
  const bool ensure_ascii = bool_arg(arg(a, 0, "ensure_ascii"), false);
  const Value* indent = arg(a, 1, "indent");
  if (indent != nullptr && !indent->is_none()) {
    if (indent->is_string()) {
      o.indent = indent->str();
    } else if (indent->is_int() || indent->is_bool()) {
      o.indent =
          std::string(static_cast<size_t>(std::clamp<int64_t>(indent->as_int(), 0, 1000)), ' ');
    } else {
      return bad_arg("tojson", "indent must be an int or a string");
    }
  }
  const Value* seps = arg(a, 2, "separators");
  if (seps != nullptr && !seps->is_none()) {
    if (!seps->is_sequence() || seps->items().size() != 2 || !seps->items()[0].is_string() ||
        !seps->items()[1].is_string()) {
      return bad_arg("tojson", "separators must be a pair of strings");
    }
    o.separators = std::make_pair(seps->items()[0].str(), seps->items()[1].str());
  }
  o.sort_keys = bool_arg(arg(a, 3, "sort_keys"), false);
  IMP_ASSIGN_OR_RETURN(std::string s, to_json(v, o));
  IMP_RETURN_IF_ERROR(in.check_size(s.size()));
  if (!ensure_ascii) return Value(std::move(s));
  std::string out;
  char buf[16];
  for (char32_t c : to_code_points(s)) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      const uint32_t u = static_cast<uint32_t>(c) - 0x10000;
      std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (u >> 10), 0xDC00 + (u & 0x3FF));
      out += buf;
    }
  }
  return Value(std::move(out));
}

StatusOr<Value> f_indent(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* width = arg(a, 0, "width");
  std::string ind = "    ";
  if (width != nullptr) {
    if (width->is_string()) {
      ind = width->str();
    } else {
      IMP_ASSIGN_OR_RETURN(int64_t w, int_arg(width, 4, "indent"));
      ind = std::string(static_cast<size_t>(std::clamp<int64_t>(w, 0, 1000)), ' ');
    }
  }
  const bool first = bool_arg(arg(a, 1, "first"), false);
  const bool blank = bool_arg(arg(a, 2, "blank"), false);
  // jinja2 does `s += "\n"`: only a string can be indented.
  if (v.is_undefined()) return undefined_error(v);
  if (!v.is_string()) return bad_arg("indent", "can only indent a string, not " + type_name(v));
  const std::string s = to_str(v) + "\n";
  std::vector<std::string> lines = py_splitlines(s, false);
  std::string rv;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      rv += "\n";
      if (blank || !lines[i].empty()) rv += ind;
    }
    rv += lines[i];
    IMP_RETURN_IF_ERROR(in.check_size(rv.size()));
  }
  if (first) rv = ind + rv;
  return same_kind(v, std::move(rv));
}

// select / reject / selectattr / rejectattr.
StatusOr<Value> select_impl(Interpreter& in, const Value& v, const CallArgs& a, bool attr,
                            bool keep) {
  size_t next = 0;
  const Value* attribute = nullptr;
  if (attr) {
    attribute = arg(a, next++, "attribute");
    if (attribute == nullptr) return bad_arg("selectattr", "missing attribute");
  }
  const Value* test = next < a.positional.size() ? &a.positional[next] : nullptr;
  CallArgs test_args;
  for (size_t i = next + 1; i < a.positional.size(); ++i)
    test_args.positional.push_back(a.positional[i]);
  if (!truthy(v)) return Value::generator({});  // `if value:` in jinja2
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(items.size())));
  ValueList out;
  for (const Value& item : items) {
    Value subject = item;
    if (attribute) {
      IMP_ASSIGN_OR_RETURN(subject, attr_path(item, *attribute));
    }
    bool r;
    if (test == nullptr) {
      r = truthy(subject);
    } else {
      IMP_ASSIGN_OR_RETURN(r, apply_test(in, to_str(*test), subject, test_args));
    }
    if (r == keep) out.push_back(item);
  }
  return Value::generator(std::move(out));
}

StatusOr<Value> f_select(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_impl(in, v, a, false, true);
}
StatusOr<Value> f_reject(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_impl(in, v, a, false, false);
}
StatusOr<Value> f_selectattr(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_impl(in, v, a, true, true);
}
StatusOr<Value> f_rejectattr(Interpreter& in, const Value& v, const CallArgs& a) {
  return select_impl(in, v, a, true, false);
}

StatusOr<Value> f_map(Interpreter& in, const Value& v, const CallArgs& a) {
  if (!truthy(v)) return Value::generator({});  // `if value:` in jinja2
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(items.size())));
  ValueList out;
  if (const Value* attribute = a.kwarg("attribute"); attribute != nullptr && a.positional.empty()) {
    const Value* def = a.kwarg("default");
    for (const Value& item : items) {
      IMP_ASSIGN_OR_RETURN(Value x, attr_path(item, *attribute));
      if (x.is_undefined() && def != nullptr) x = *def;
      out.push_back(std::move(x));
    }
    return Value::generator(std::move(out));
  }
  if (a.positional.empty()) return bad_arg("map", "map requires a filter argument");
  const std::string name = to_str(a.positional[0]);
  CallArgs rest;
  rest.positional.assign(a.positional.begin() + 1, a.positional.end());
  rest.keyword = a.keyword;
  for (const Value& item : items) {
    IMP_ASSIGN_OR_RETURN(Value x, apply_filter(in, name, item, rest));
    out.push_back(std::move(x));
  }
  return Value::generator(std::move(out));
}

StatusOr<Value> minmax(Interpreter&, const Value& v, const CallArgs& a, bool want_max) {
  const bool cs = bool_arg(arg(a, 0, "case_sensitive"), false);
  const Value* attribute = arg(a, 1, "attribute");
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  if (items.empty()) return Value::undefined();
  size_t best = 0;
  Value best_key;
  for (size_t i = 0; i < items.size(); ++i) {
    Value k = items[i];
    if (attribute != nullptr && !attribute->is_none()) {
      IMP_ASSIGN_OR_RETURN(k, attr_path(items[i], *attribute));
    }
    k = sort_key(k, cs);
    if (i == 0) {
      best_key = k;
      continue;
    }
    IMP_ASSIGN_OR_RETURN(int c, compare(k, best_key));
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = k;
    }
  }
  return items[best];
}

StatusOr<Value> f_max(Interpreter& in, const Value& v, const CallArgs& a) {
  return minmax(in, v, a, true);
}
StatusOr<Value> f_min(Interpreter& in, const Value& v, const CallArgs& a) {
  return minmax(in, v, a, false);
}

StatusOr<Value> f_sort(Interpreter& in, const Value& v, const CallArgs& a) {
  const bool reverse = bool_arg(arg(a, 0, "reverse"), false);
  const bool cs = bool_arg(arg(a, 1, "case_sensitive"), false);
  const Value* attribute = arg(a, 2, "attribute");
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  IMP_RETURN_IF_ERROR(in.charge(static_cast<int64_t>(items.size())));
  std::vector<std::pair<Value, Value>> kv;
  for (const Value& item : items) {
    Value k = item;
    if (attribute != nullptr && !attribute->is_none()) {
      IMP_ASSIGN_OR_RETURN(k, attr_path(item, *attribute));
    }
    kv.emplace_back(sort_key(k, cs), item);
  }
  IMP_RETURN_IF_ERROR(sort_values(&kv, reverse));
  ValueList out;
  for (auto& p : kv) out.push_back(std::move(p.second));
  return Value::list(std::move(out));
}

StatusOr<Value> f_sum(Interpreter& in, const Value& v, const CallArgs& a) {
  const Value* attribute = arg(a, 0, "attribute");
  const Value* start = arg(a, 1, "start");
  Value total = start ? *start : Value(int64_t{0});
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  for (const Value& item : items) {
    Value x = item;
    if (attribute != nullptr && !attribute->is_none()) {
      IMP_ASSIGN_OR_RETURN(x, attr_path(item, *attribute));
    }
    IMP_ASSIGN_OR_RETURN(total, arithmetic(in, "+", total, x));
  }
  return total;
}

StatusOr<Value> f_unique_eager(Interpreter& in, const Value& v, const CallArgs& a) {
  const bool cs = bool_arg(arg(a, 0, "case_sensitive"), false);
  const Value* attribute = arg(a, 1, "attribute");
  IMP_ASSIGN_OR_RETURN(ValueList items, iterate(v));
  IMP_RETURN_IF_ERROR(
      in.charge(static_cast<int64_t>(items.size() * items.size() / 16 + items.size())));
  ValueList seen;
  ValueList out;
  for (const Value& item : items) {
    Value k = item;
    if (attribute != nullptr && !attribute->is_none()) {
      IMP_ASSIGN_OR_RETURN(k, attr_path(item, *attribute));
    }
    k = sort_key(k, cs);
    if (k.is_list() || k.is_dict())
      return bad_arg("unique", "unhashable type: '" + type_name(k) + "'");
    bool dup = false;
    for (const Value& s : seen) dup = dup || equals(s, k);
    if (dup) continue;
    seen.push_back(k);
    out.push_back(item);
  }
  return Value::generator(std::move(out));
}

StatusOr<Value> f_wordcount(Interpreter&, const Value& v, const CallArgs&) {
  // re.findall(r"\w+"): runs of letters, digits and underscore.
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : to_code_points(to_str(v))) {
    const bool w = c == U'_' || (c < 0x80 ? isalnum(static_cast<int>(c)) != 0 : !py_isspace(c));
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value(n);
}

StatusOr<Value> f_attr(Interpreter&, const Value& v, const CallArgs& a) {
  const Value* name = arg(a, 0, "name");
  if (name == nullptr || !name->is_string()) return bad_arg("attr", "name must be a string");
  return get_attr(v, name->str());
}

// jinja2's generator filters raise only once iterated: keep the error for then.
template <FilterFn eager>
StatusOr<Value> lazy(Interpreter& in, const Value& v, const CallArgs& a) {
  auto r = eager(in, v, a);
  if (!r.ok()) return Value::failed_generator(r.status());
  return r;
}

StatusOr<Value> f_format(Interpreter& in, const Value& v, const CallArgs& a);

const std::unordered_map<std::string_view, FilterFn>& filter_table() {
  static const std::unordered_map<std::string_view, FilterFn> kTable = {
      {"abs", f_abs},
      {"attr", f_attr},
      {"batch", lazy<f_batch_eager>},
      {"capitalize", f_capitalize},
      {"center", f_center},
      {"count", f_length},
      {"d", f_default},
      {"default", f_default},
      {"dictsort", f_dictsort},
      {"e", f_escape},
      {"escape", f_escape},
      {"first", f_first},
      {"float", f_float},
      {"format", f_format},
      {"indent", f_indent},
      {"int", f_int},
      {"items", lazy<f_items_eager>},
      {"join", f_join},
      {"last", f_last},
      {"length", f_length},
      {"list", f_list},
      {"lower", f_lower},
      {"map", f_map},
      {"max", f_max},
      {"min", f_min},
      {"reject", f_reject},
      {"rejectattr", f_rejectattr},
      {"replace", f_replace},
      {"reverse", f_reverse},
      {"round", f_round},
      {"safe", f_safe},
      {"select", f_select},
      {"selectattr", f_selectattr},
      {"sort", f_sort},
      {"string", f_string},
      {"sum", f_sum},
      {"title", f_title},
      {"tojson", f_tojson},
      {"trim", f_trim},
      {"unique", lazy<f_unique_eager>},
      {"upper", f_upper},
      {"wordcount", f_wordcount},
  };
  return kTable;
}

StatusOr<Value> f_format(Interpreter& in, const Value& v, const CallArgs& a) {
  if (!a.positional.empty() && !a.keyword.empty()) {
    return bad_arg("format", "can't handle positional and keyword arguments at the same time");
  }
  if (!a.keyword.empty()) {
    ValueDict d;
    for (const auto& [k, x] : a.keyword) d.set(Value(k), x);
    return percent_format(in, v, Value::dict(std::move(d)));
  }
  return percent_format(in, v, Value::tuple(a.positional));
}

}  // namespace

// Python's printf-style `str % args` for %s %r %d %i %x %X %f %e %g %% and %(key)s.
StatusOr<Value> percent_format(Interpreter& in, const Value& fmt_v, const Value& rhs) {
  const std::string fmt = to_str(fmt_v);
  const ValueList args = rhs.is_tuple() ? rhs.items() : ValueList{rhs};
  const ValueDict* mapping = rhs.is_dict() ? &rhs.dict() : nullptr;
  // A non-tuple argument with __getitem__ (list, dict) never triggers
  // "not all arguments converted".
  const bool strict = rhs.is_tuple() || !(rhs.is_list() || rhs.is_dict() || rhs.is_undefined());
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    const Value* keyed = nullptr;
    if (j < fmt.size() && fmt[j] == '(') {
      const size_t close = fmt.find(')', j);
      if (close == std::string::npos) return bad_arg("format", "incomplete format key");
      if (mapping == nullptr) return bad_arg("format", "format requires a mapping");
      keyed = mapping->find(fmt.substr(j + 1, close - j - 1));
      if (keyed == nullptr)
        return invalid_argument("KeyError: " + fmt.substr(j + 1, close - j - 1));
      j = close + 1;
    }
    std::string spec = "%";
    while (j < fmt.size() &&
           std::string_view("-+ 0#.0123456789").find(fmt[j]) != std::string_view::npos) {
      spec += fmt[j++];
    }
    if (j >= fmt.size()) return bad_arg("format", "incomplete format");
    const char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (keyed == nullptr && next >= args.size()) {
      return bad_arg("format", "not enough arguments for format string");
    }
    const Value& x = keyed != nullptr ? *keyed : args[next++];
    char buf[512];
    if (conv == 's' || conv == 'r') {
      const std::string s = conv == 's' ? to_str(x) : to_repr(x);
      std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), s.c_str());
      out += spec == "%" ? s : std::string(buf);
    } else if (conv == 'd' || conv == 'i' || conv == 'x' || conv == 'X') {
      if (!x.is_number()) return bad_arg("format", "a number is required");
      const long long n = x.is_float() ? static_cast<long long>(x.as_float()) : x.as_int();
      std::snprintf(buf, sizeof(buf), (spec + "ll" + (conv == 'i' ? 'd' : conv)).c_str(), n);
      out += buf;
    } else if (conv == 'f' || conv == 'e' || conv == 'g') {
      if (!x.is_number()) return bad_arg("format", "a number is required");
      std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), x.as_float());
      out += buf;
    } else {
      return bad_arg("format", std::string("unsupported format character '") + conv + "'");
    }
    IMP_RETURN_IF_ERROR(in.check_size(out.size()));
  }
  if (strict && next < args.size()) {
    return bad_arg("format", "not all arguments converted during string formatting");
  }
  return same_kind(fmt_v, std::move(out));
}

bool is_known_filter(std::string_view name) { return filter_table().count(name) > 0; }

StatusOr<Value> apply_filter(Interpreter& in, std::string_view name, const Value& v,
                             const CallArgs& args) {
  auto it = filter_table().find(name);
  if (it == filter_table().end())
    return invalid_argument("no filter named '" + std::string(name) + "'");
  return it->second(in, v, args);
}

}  // namespace impetus::jinja
