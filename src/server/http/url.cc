#include "server/http/url.h"

namespace impetus::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The origin-form part ("/p?q") of an absolute-form target, or false.
bool strip_authority(std::string_view target, std::string_view* rest) {
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return false;
  for (size_t i = 0; i < scheme_end; ++i) {
    const char c = target[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  const size_t path_start = target.find_first_of("/?", scheme_end + 3);
  *rest = path_start == std::string_view::npos ? std::string_view("/")
                                               : target.substr(path_start);
  return true;
}

bool parse_query(std::string_view raw, std::map<std::string, std::string>* query) {
  std::string key;
  std::string value;
  while (!raw.empty()) {
    const size_t amp = raw.find('&');
    const std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string_view raw_key = pair.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!percent_decode(raw_key, true, &key) || !percent_decode(raw_value, true, &value)) {
      return false;
    }
    if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) return false;
    (*query)[key] = value;
  }
  return true;
}

}  // namespace

bool percent_decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parse_target(std::string_view target, std::string* path,
                  std::map<std::string, std::string>* query) {
  path->clear();
  query->clear();
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (target.empty()) return false;
  if (target == "*") {
    *path = "*";
    return true;
  }
  if (target[0] != '/' && !strip_authority(target, &target)) return false;
  const size_t qmark = target.find('?');
  const std::string_view raw_path = target.substr(0, qmark);
  if (raw_path.empty() || raw_path[0] != '/') {
    *path = "/";
  } else if (!percent_decode(raw_path, false, path) || path->find('\0') != std::string::npos) {
    return false;
  }
  if (qmark == std::string_view::npos) return true;
  return parse_query(target.substr(qmark + 1), query);
}

}  // namespace impetus::http
