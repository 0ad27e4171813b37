// The bytes the HTTP server writes itself: a response's status line and
// header block, chunk framing for streamed bodies, and the default error
// body. Header names and values supplied by handlers are sanitised so they
// can never split the response (CR, LF and NUL are removed; headers that
// control framing are the server's alone).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace impetus::http {

struct ResponseHead {
  int status = 200;
  std::string content_type;                                  // omitted when empty
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::optional<size_t> content_length;                      // omitted when unset
  bool chunked = false;                                      // Transfer-Encoding: chunked
  bool keep_alive = true;                                    // Connection: keep-alive / close
};

// "HTTP/1.1 200 OK\r\n...\r\n\r\n". A status outside 100..599 becomes 500.
std::string serialize_head(const ResponseHead& head);

// The reason phrase of a status code ("Not Found"), "Unknown" if unlisted.
std::string_view reason_phrase(int status);

// One chunk of a chunked body: "<hex size>\r\n<data>\r\n" (data must not be empty).
std::string frame_chunk(std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// {"error":{"message":...,"type":...,"code":status}}, the body used when no
// error_response hook is installed.
std::string default_error_body(int status, const std::string& message);

}  // namespace impetus::http
