// Router: maps a method and a path pattern ("/v1/models/{id}") to a handler.
// Unknown paths answer 404 and known paths with another method 405, both
// through the error body the server installs.
//
// Paths are compared segment by segment on the decoded path; empty segments
// are ignored ("/v1//models/" is "/v1/models"). A "{name}" segment matches
// one non-empty segment; a final "{name*}" matches one or more segments,
// joined by '/'. When several routes match, the more specific one wins
// (literal over "{name}" over "{name*}", position by position from the left);
// among equals, the first added.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "server/http/http_types.h"

namespace impetus::http {

class Router {
 public:
  // pattern: literal segments and "{name}" segments; a final "{name*}" matches the rest.
  void add(const std::string& method, const std::string& pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;               // null: no route
    const std::string* pattern = nullptr;           // the matched route's pattern (null: none)
    bool path_known = false;                        // some route has this path (-> 405)
    std::map<std::string, std::string> params;
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace impetus::http
