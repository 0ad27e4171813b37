#include "server/http/http_types.h"

namespace impetus::http {

std::string HttpRequest::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

}  // namespace impetus::http
