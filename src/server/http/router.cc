#include "server/http/router.h"

#include <string_view>
#include <utility>

#include "core/check.h"

namespace impetus::http {
namespace {

enum SegmentKind { kRest = 0, kParam = 1, kLiteral = 2 };

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

SegmentKind kind_of(const std::string& segment) {
  if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
    return segment.size() >= 3 && segment[segment.size() - 2] == '*' ? kRest : kParam;
  }
  return kLiteral;
}

std::string param_name(const std::string& segment, SegmentKind kind) {
  return segment.substr(1, segment.size() - (kind == kRest ? 3 : 2));
}

// Matches `path` against a pattern; fills params and one rank entry per path
// segment (its SegmentKind) for the specificity comparison.
bool match_segments(const std::vector<std::string>& pattern,
                    const std::vector<std::string_view>& path,
                    std::map<std::string, std::string>* params, std::vector<int>* rank) {
  params->clear();
  rank->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const SegmentKind kind = kind_of(pattern[i]);
    if (kind == kRest) {
      if (i >= path.size()) return false;
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) {
        if (j > i) rest += '/';
        rest.append(path[j]);
        rank->push_back(kRest);
      }
      (*params)[param_name(pattern[i], kind)] = std::move(rest);
      return true;
    }
    if (i >= path.size()) return false;
    if (kind == kLiteral) {
      if (pattern[i] != path[i]) return false;
    } else {
      (*params)[param_name(pattern[i], kind)] = std::string(path[i]);
    }
    rank->push_back(kind);
  }
  return pattern.size() == path.size();
}

}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  IMP_CHECK(!method.empty(), "route without a method: ", pattern);
  IMP_CHECK(handler != nullptr, "route without a handler: ", method, " ", pattern);
  Route route;
  route.method = method;
  route.pattern = pattern;
  for (std::string_view segment : split_path(pattern)) route.segments.emplace_back(segment);
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& segment = route.segments[i];
    const SegmentKind kind = kind_of(segment);
    IMP_CHECK(kind != kRest || i + 1 == route.segments.size(),
              "a {name*} segment must come last: ", pattern);
    IMP_CHECK(kind == kLiteral || !param_name(segment, kind).empty(),
              "empty parameter name in route: ", pattern);
    IMP_CHECK(kind != kLiteral || segment.find_first_of("{}") == std::string::npos,
              "malformed route segment '", segment, "' in ", pattern);
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match result;
  const std::vector<std::string_view> segments = split_path(path);
  std::vector<int> best_rank;
  std::map<std::string, std::string> params;
  std::vector<int> rank;
  for (const Route& route : routes_) {
    if (!match_segments(route.segments, segments, &params, &rank)) continue;
    if (route.method != method) {
      result.path_known = true;
      continue;
    }
    if (result.handler == nullptr || rank > best_rank) {
      result.handler = &route.handler;
      result.pattern = &route.pattern;
      result.params = params;
      best_rank = rank;
    }
  }
  if (result.handler != nullptr) result.path_known = true;
  return result;
}

}  // namespace impetus::http
