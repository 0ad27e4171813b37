#include "store/hub_http.h"

#include <cctype>
#include <cstdlib>
#include <mutex>

namespace impetus {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

size_t body_callback(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<std::pair<std::string*, size_t>*>(user);
  if (r->first->size() + size * n > r->second) return 0;  // too large: abort
  r->first->append(data, size * n);
  return size * n;
}

}  // namespace

void curl_global_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlPtr new_curl(const HubHttpOptions& options, CurlListPtr& headers) {
  curl_global_once();
  CurlPtr curl(curl_easy_init());
  IMP_CHECK(curl != nullptr, "curl_easy_init failed");
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.low_speed_time_s);
  // Custom Authorization headers are not sent to other hosts after a redirect
  // (curl >= 7.58), so the token never reaches the CDN.
  if (!options.token.empty()) {
    const std::string auth = "Authorization: Bearer " + options.token;
    headers.reset(curl_slist_append(headers.release(), auth.c_str()));
  }
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  return curl;
}

void HeaderSink::on_line(std::string_view line) {
  if (line.rfind("HTTP/", 0) == 0) {
    headers.clear();
    const size_t sp = line.find(' ');
    status = sp == std::string_view::npos
                 ? 0
                 : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  std::string name = trim(line.substr(0, colon));
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string value = trim(line.substr(colon + 1));
  if (name == "x-linked-etag" || name == "x-linked-size" || name == "x-repo-commit")
    linked[name] = value;
  headers[name] = std::move(value);
}

std::string HeaderSink::header(const std::string& name) const {
  auto it = headers.find(name);
  if (it != headers.end()) return it->second;
  it = linked.find(name);
  return it == linked.end() ? "" : it->second;
}

size_t header_sink_callback(char* data, size_t size, size_t n, void* sink) {
  static_cast<HeaderSink*>(sink)->on_line(std::string_view(data, size * n));
  return size * n;
}

StatusOr<HttpResult> http_fetch(const std::string& url, const HubHttpOptions& options, bool head,
                                size_t max_body) {
  CurlListPtr headers;
  CurlPtr curl = new_curl(options, headers);
  HttpResult result;
  std::pair<std::string*, size_t> body{&result.body, max_body};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOBODY, head ? 1L : 0L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, body_callback);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, header_sink_callback);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc == CURLE_WRITE_ERROR) return resource_exhausted("the answer of " + url + " is too large");
  if (rc != CURLE_OK) {
    return unavailable("cannot reach " + url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  return result;
}

Status hub_http_error(long status, const HeaderSink& headers, const std::string& what,
                      bool have_token) {
  const std::string code = headers.header("x-error-code");
  const std::string hub_msg = headers.header("x-error-message");
  const std::string detail = hub_msg.empty() ? "" : " (Hub: " + hub_msg + ")";
  const std::string token_hint =
      have_token
          ? "the token in HF_TOKEN was not accepted for it; check that it is valid and has access"
          : "if it is private or gated, set HF_TOKEN to a Hugging Face access token";
  if (code == "RepoNotFound" || code == "EntryNotFound" || code == "RevisionNotFound" ||
      status == 404) {
    std::string msg = what + " was not found on the Hugging Face Hub";
    if (code == "RepoNotFound" && status == 401) msg += "; " + token_hint;
    return not_found(msg + detail);
  }
  if (status == 401)
    return failed_precondition("unauthenticated: " + what + " needs authentication; " + token_hint +
                               detail);
  if (status == 403 || code == "GatedRepo") {
    return failed_precondition("permission denied: " + what +
                               " is gated or restricted; accept its terms on "
                               "huggingface.co and " +
                               (have_token ? "check that HF_TOKEN has access" : "set HF_TOKEN") +
                               detail);
  }
  if (is_transient_http_status(status)) {
    return unavailable("the Hugging Face Hub answered HTTP " + std::to_string(status) + " for " +
                       what + detail);
  }
  return internal_error("unexpected HTTP " + std::to_string(status) + " from the Hub for " + what +
                        detail);
}

bool is_transient_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool is_transient_http_status(long status) {
  return status == 408 || status == 429 || status >= 500;
}

std::string url_escape_path(std::string_view path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace impetus
