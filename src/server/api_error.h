// ApiError and the one place where internal errors become HTTP: a Status
// (plus the request parameter it concerns, if any) maps to an HTTP status and
// an OpenAI-style body {"error": {"message", "type", "param", "code"}}.
#pragma once

#include <string>

#include "core/status.h"
#include "server/http/http_types.h"

namespace impetus {

struct ApiError {
  Status status;
  std::string param;  // the request field at fault ("" = none)
  std::string code;   // OpenAI error code ("model_not_found", ...; "" = from the status)
};

// 400 invalid_request_error naming the parameter.
ApiError bad_param(const std::string& param, const std::string& message);

int http_status_for(StatusCode code);
http::HttpResponse error_response(const ApiError& error);
http::HttpResponse error_response(const Status& status);
// For transport errors (404 route, 405, 413, bad HTTP), given an HTTP status.
http::HttpResponse error_response_for_http(int http_status, const std::string& message);

}  // namespace impetus
