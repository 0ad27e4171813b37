#include "tokenizer/chat_template/py_string.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenizer/utf8.h"

namespace impetus::jinja {

std::u32string to_code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const Utf8Decoded d = utf8_decode(s, pos);
    if (d.status == Utf8Status::kValid) {
      out.push_back(static_cast<char32_t>(d.cp));
      pos += d.len;
    } else {
      out.push_back(U'\uFFFD');
      pos += d.len > 0 ? d.len : 1;
    }
  }
  return out;
}

std::string from_code_points(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) utf8_append(static_cast<uint32_t>(c), &out);
  return out;
}

size_t code_point_count(std::string_view s) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    const Utf8Decoded d = utf8_decode(s, pos);
    pos += d.len > 0 ? d.len : 1;
    ++n;
  }
  return n;
}

bool py_isspace(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string py_strip(std::string_view s, StripSide side, const std::optional<std::string>& chars) {
  const std::u32string cps = to_code_points(s);
  const std::u32string set = chars ? to_code_points(*chars) : std::u32string();
  auto strip_it = [&](char32_t c) {
    return chars ? set.find(c) != std::u32string::npos : py_isspace(c);
  };
  size_t b = 0;
  size_t e = cps.size();
  if (side != StripSide::kRight) {
    while (b < e && strip_it(cps[b])) ++b;
  }
  if (side != StripSide::kLeft) {
    while (e > b && strip_it(cps[e - 1])) --e;
  }
  return from_code_points(std::u32string_view(cps).substr(b, e - b));
}

namespace {

std::vector<std::string> split_whitespace(std::string_view s, int64_t maxsplit) {
  const std::u32string cps = to_code_points(s);
  std::vector<std::string> out;
  size_t i = 0;
  const size_t n = cps.size();
  while (i < n) {
    while (i < n && py_isspace(cps[i])) ++i;
    if (i == n) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      size_t e = n;
      while (e > i && py_isspace(cps[e - 1])) --e;
      out.push_back(from_code_points(std::u32string_view(cps).substr(i, e - i)));
      break;
    }
    size_t j = i;
    while (j < n && !py_isspace(cps[j])) ++j;
    out.push_back(from_code_points(std::u32string_view(cps).substr(i, j - i)));
    i = j;
  }
  return out;
}

std::vector<std::string> rsplit_whitespace(std::string_view s, int64_t maxsplit) {
  const std::u32string cps = to_code_points(s);
  std::vector<std::string> out;
  size_t e = cps.size();
  while (e > 0) {
    while (e > 0 && py_isspace(cps[e - 1])) --e;
    if (e == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      size_t b = 0;
      while (b < e && py_isspace(cps[b])) ++b;
      out.push_back(from_code_points(std::u32string_view(cps).substr(b, e - b)));
      break;
    }
    size_t j = e;
    while (j > 0 && !py_isspace(cps[j - 1])) --j;
    out.push_back(from_code_points(std::u32string_view(cps).substr(j, e - j)));
    e = j;
  }
  return {out.rbegin(), out.rend()};
}

}  // namespace

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit) {
  if (!sep) return split_whitespace(s, maxsplit);
  std::vector<std::string> out;
  size_t pos = 0;
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    const size_t at = s.find(*sep, pos);
    if (at == std::string_view::npos || sep->empty()) break;
    out.emplace_back(s.substr(pos, at - pos));
    pos = at + sep->size();
  }
  out.emplace_back(s.substr(pos));
  return out;
}

std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep,
                                   int64_t maxsplit) {
  if (!sep) return rsplit_whitespace(s, maxsplit);
  if (maxsplit < 0) return py_split(s, sep, maxsplit);
  std::vector<std::string> out;
  size_t end = s.size();
  while (static_cast<int64_t>(out.size()) < maxsplit && !sep->empty()) {
    if (end < sep->size()) break;
    const size_t at = s.rfind(*sep, end - sep->size());
    if (at == std::string_view::npos) break;
    out.emplace_back(s.substr(at + sep->size(), end - at - sep->size()));
    end = at;
  }
  out.emplace_back(s.substr(0, end));
  return {out.rbegin(), out.rend()};
}

std::vector<std::string> py_splitlines(std::string_view s, bool keepends) {
  const std::u32string cps = to_code_points(s);
  std::vector<std::string> out;
  size_t start = 0;
  size_t i = 0;
  while (i < cps.size()) {
    const char32_t c = cps[i];
    const bool brk = c == U'\n' || c == U'\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
                     c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) {
      ++i;
      continue;
    }
    size_t eol = i + 1;
    if (c == U'\r' && eol < cps.size() && cps[eol] == U'\n') ++eol;
    const size_t stop = keepends ? eol : i;
    out.push_back(from_code_points(std::u32string_view(cps).substr(start, stop - start)));
    start = eol;
    i = eol;
  }
  if (start < cps.size()) out.push_back(from_code_points(std::u32string_view(cps).substr(start)));
  return out;
}

std::string py_replace(std::string_view s, std::string_view old_s, std::string_view new_s,
                       int64_t count) {
  std::string out;
  if (old_s.empty()) {
    const std::u32string cps = to_code_points(s);
    int64_t done = 0;
    for (char32_t c : cps) {
      if (count < 0 || done < count) {
        out += new_s;
        ++done;
      }
      utf8_append(static_cast<uint32_t>(c), &out);
    }
    if (count < 0 || done < count) out += new_s;
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t at = s.find(old_s, pos);
    if (at == std::string_view::npos) break;
    out.append(s.substr(pos, at - pos));
    out.append(new_s);
    pos = at + old_s.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

namespace {

std::string icu_map(std::string_view s, bool upper) {
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  if (upper) {
    u.toUpper(icu::Locale::getRoot());
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string map_one(char32_t c, int how) {  // 0 lower, 1 upper, 2 title
  std::string one;
  utf8_append(static_cast<uint32_t>(c), &one);
  if (how == 0) return icu_map(one, false);
  if (how == 1) return icu_map(one, true);
  std::string out;
  utf8_append(static_cast<uint32_t>(u_totitle(static_cast<UChar32>(c))), &out);
  return out;
}

bool is_cased(char32_t c) { return u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_CASED); }

}  // namespace

std::string py_upper(std::string_view s) { return icu_map(s, true); }
std::string py_lower(std::string_view s) { return icu_map(s, false); }

std::string py_title(std::string_view s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : to_code_points(s)) {
    out += map_one(c, prev_cased ? 0 : 2);
    prev_cased = is_cased(c);
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  const std::u32string cps = to_code_points(s);
  if (cps.empty()) return "";
  std::string out = map_one(cps[0], 2);
  out += icu_map(from_code_points(std::u32string_view(cps).substr(1)), false);
  return out;
}

std::string jinja_title(std::string_view s) {
  // re.split(r"([-\s({\[<]+)") then item[0].upper() + item[1:].lower() per piece.
  const std::u32string cps = to_code_points(s);
  auto is_sep = [](char32_t c) {
    return c == U'-' || c == U'(' || c == U'{' || c == U'[' || c == U'<' || py_isspace(c);
  };
  std::string out;
  size_t i = 0;
  while (i < cps.size()) {
    const bool sep = is_sep(cps[i]);
    size_t j = i;
    while (j < cps.size() && is_sep(cps[j]) == sep) ++j;
    out += map_one(cps[i], 1);
    out += icu_map(from_code_points(std::u32string_view(cps).substr(i + 1, j - i - 1)), false);
    i = j;
  }
  return out;
}

namespace {

bool py_isprintable(char32_t c) {
  if (c == U' ') return true;
  if (c < 0x20 || c == 0x7F) return false;
  if (c < 0x7F) return true;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR:
      return false;
    default:
      return true;
  }
}

}  // namespace

std::string py_repr_string(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  char buf[16];
  for (char32_t c : to_code_points(s)) {
    if (c == U'\\') {
      out += "\\\\";
    } else if (c == static_cast<char32_t>(quote)) {
      out += '\\';
      out += quote;
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c == U'\t') {
      out += "\\t";
    } else if (py_isprintable(c)) {
      utf8_append(static_cast<uint32_t>(c), &out);
    } else if (c < 0x100) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    }
  }
  out += quote;
  return out;
}

std::string py_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci = [-]d[.ddd]e(+|-)XX
  const size_t epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  const int exp10 = std::stoi(sci.substr(epos + 1));
  const bool neg = !mant.empty() && mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char ch : mant) {
    if (ch != '.') digits += ch;
  }
  std::string out = neg ? "-" : "";
  if (exp10 < -4 || exp10 >= 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::snprintf(buf, sizeof(buf), "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    return out + buf;
  }
  if (exp10 < 0) {
    return out + "0." + std::string(static_cast<size_t>(-exp10 - 1), '0') + digits;
  }
  const size_t int_len = static_cast<size_t>(exp10) + 1;
  if (digits.size() <= int_len) {
    return out + digits + std::string(int_len - digits.size(), '0') + ".0";
  }
  return out + digits.substr(0, int_len) + "." + digits.substr(int_len);
}

int64_t py_floordiv(int64_t a, int64_t b) {
  if (a == INT64_MIN && b == -1)
    return INT64_MIN;  // wraps like the caller's overflow check expects
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t py_mod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double py_fmod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  if (r == 0) r = std::copysign(0.0, b);
  return r;
}

}  // namespace impetus::jinja
