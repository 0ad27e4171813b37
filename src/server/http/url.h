// Request-target parsing for the HTTP server: splits "/v1/x%20y?a=1&b=%2F"
// into a percent-decoded path and a map of decoded query parameters. Pure
// functions over untrusted bytes; malformed input is reported, never fatal.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace impetus::http {

// Decodes "%XX" escapes (and '+' as a space when plus_is_space). Returns false
// on a malformed escape ("%", "%4", "%zz"); *out is then unspecified.
bool percent_decode(std::string_view in, bool plus_is_space, std::string* out);

// Parses an origin-form target ("/p?q") or an absolute-form one
// ("http://host/p?q"); "*" gives the path "*". A "#fragment" is ignored.
// Query pairs without '=' get an empty value; a repeated key keeps the last
// value. Returns false for a malformed target, a bad escape or a decoded NUL.
bool parse_target(std::string_view target, std::string* path,
                  std::map<std::string, std::string>* query);

}  // namespace impetus::http
