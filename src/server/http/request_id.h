// Request ids: every request handled by the HttpServer has one, taken from
// the client's X-Request-Id header when it is sane, else generated here. It
// is echoed in the response's X-Request-Id and appears on every log line
// about the request, so a client's id ties its logs to ours.
#pragma once

#include <string>
#include <string_view>

namespace impetus::http {

inline constexpr size_t kMaxRequestIdLength = 128;

// 1..128 characters, each visible ASCII (0x21..0x7E: no spaces, no control
// characters, no bytes >= 0x80).
bool is_sane_request_id(std::string_view id);

// A fresh id: "req_" and 24 lower-case hex digits (96 random bits).
std::string new_request_id();

// The client's id if sane, else a fresh one.
std::string request_id_from_header(std::string_view header_value);

}  // namespace impetus::http
