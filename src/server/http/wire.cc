#include "server/http/wire.h"

#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace impetus::http {
namespace {

bool is_token_char(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void append_field(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ");
  for (char c : value) {
    if (c != '\r' && c != '\n' && c != '\0') out->push_back(c);
  }
  out->append("\r\n");
}

// Extra headers the server never takes from a handler (it frames the body).
bool reserved(const std::string& lower_name, bool has_content_type) {
  return lower_name == "content-length" || lower_name == "transfer-encoding" ||
         lower_name == "connection" || (has_content_type && lower_name == "content-type");
}

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string serialize_head(const ResponseHead& head) {
  const int status = head.status >= 100 && head.status <= 599 ? head.status : 500;
  std::string out;
  out.reserve(256);
  out.append("HTTP/1.1 ");
  out.append(std::to_string(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
  append_field(&out, "Server", "impetus");
  if (!head.content_type.empty()) append_field(&out, "Content-Type", head.content_type);
  if (head.content_length) append_field(&out, "Content-Length", std::to_string(*head.content_length));
  if (head.chunked) append_field(&out, "Transfer-Encoding", "chunked");
  append_field(&out, "Connection", head.keep_alive ? "keep-alive" : "close");
  for (const auto& [name, value] : head.headers) {
    if (name.empty()) continue;
    bool valid = true;
    for (unsigned char c : name) valid = valid && is_token_char(c);
    if (!valid || reserved(lower(name), !head.content_type.empty())) continue;
    append_field(&out, name, value);
  }
  out.append("\r\n");
  return out;
}

std::string frame_chunk(std::string_view data) {
  char size[32];
  const int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  std::string out;
  out.reserve(static_cast<size_t>(n) + data.size() + 2);
  out.append(size, static_cast<size_t>(n));
  out.append(data);
  out.append("\r\n");
  return out;
}

std::string default_error_body(int status, const std::string& message) {
  const char* type = status >= 500 ? "server_error" : "invalid_request_error";
  nlohmann::json body = {{"error", {{"message", message}, {"type", type}, {"code", status}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace impetus::http
