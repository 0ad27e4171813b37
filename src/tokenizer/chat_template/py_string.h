// Python str semantics for the Jinja interpreter: the string operations chat
// templates use (strip, split, splitlines, replace, case mapping, len and
// slicing by code point) and Python's repr() of strings and floats, so that a
// rendering matches Python's jinja2 byte for byte. Strings are UTF-8; an
// ill-formed byte counts as one U+FFFD code point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace impetus::jinja {

std::u32string to_code_points(std::string_view s);
std::string from_code_points(std::u32string_view s);
// Python's len(s).
size_t code_point_count(std::string_view s);

// Python's str.isspace() for one character (Unicode White_Space plus the
// information separators U+001C..U+001F).
bool py_isspace(char32_t c);

enum class StripSide { kBoth, kLeft, kRight };
// str.strip / lstrip / rstrip; `chars` absent (or None) means whitespace.
std::string py_strip(std::string_view s, StripSide side, const std::optional<std::string>& chars);

// str.split(sep=None, maxsplit=-1) and str.rsplit(...). An empty `sep` is an
// error in Python: callers check it first.
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep,
                                  int64_t maxsplit);
std::vector<std::string> py_rsplit(std::string_view s, const std::optional<std::string>& sep,
                                   int64_t maxsplit);
// str.splitlines(keepends): breaks at \n \r \r\n \v \f \x1c-\x1e \x85 U+2028 U+2029.
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);

// str.replace(old, new, count=-1), including the empty-`old` case.
std::string py_replace(std::string_view s, std::string_view old_s, std::string_view new_s,
                       int64_t count);

// Case mapping (Unicode full mappings, locale-independent like Python).
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_title(std::string_view s);       // str.title()
std::string py_capitalize(std::string_view s);  // str.capitalize()
std::string jinja_title(std::string_view s);    // jinja2's `title` filter

// repr(str): quotes and escapes like Python ('it\'s' -> "it's").
std::string py_repr_string(std::string_view s);
// repr(float): shortest round-trip digits, "1.0", "1e-05", "1e+16", "inf", "nan".
std::string py_float_repr(double v);

// Python's floor division and modulo on integers (b != 0).
int64_t py_floordiv(int64_t a, int64_t b);
int64_t py_mod(int64_t a, int64_t b);
double py_fmod(double a, double b);

}  // namespace impetus::jinja
