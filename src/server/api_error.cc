#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace impetus {
namespace {

const char* error_type(int http_status) {
  if (http_status == 401) return "authentication_error";
  if (http_status == 403) return "permission_error";
  if (http_status == 404) return "not_found_error";
  if (http_status == 413 || http_status < 500) return "invalid_request_error";
  if (http_status == 503) return "service_unavailable_error";
  return "server_error";
}

http::HttpResponse make(int status, const std::string& message, const std::string& param,
                        const std::string& code) {
  nlohmann::json err = {{"message", message},
                        {"type", error_type(status)},
                        {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
                        {"code", code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code)}};
  http::HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", err}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace

ApiError bad_param(const std::string& param, const std::string& message) {
  return {invalid_argument(message), param, ""};
}

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnimplemented:
    case StatusCode::kFailedPrecondition: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCancelled: return 499;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

http::HttpResponse error_response(const ApiError& e) {
  const int status = http_status_for(e.status.code());
  return make(status, e.status.message(), e.param, e.code);
}

http::HttpResponse error_response(const Status& status) { return error_response(ApiError{status, "", ""}); }

http::HttpResponse error_response_for_http(int http_status, const std::string& message) {
  return make(http_status, message, "", "");
}

}  // namespace impetus
