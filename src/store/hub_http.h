// The libcurl plumbing shared by the Hub client and the downloader: one-time
// global init, RAII handles, the options every request gets (user agent,
// http/https only, bearer token, timeouts), a small GET/HEAD helper that
// keeps the final response's headers, and the mapping of Hub HTTP answers
// (401, 403, 404, 5xx, X-Error-Code) to Status.
#pragma once

#include <curl/curl.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace impetus {

// What every request to the Hub (or its CDN) is sent with.
struct HubHttpOptions {
  std::string token;  // sent as "Authorization: Bearer <token>" ("" = none)
  std::string user_agent = "impetus";
  long connect_timeout_s = 30;  // TCP/TLS connect limit
  long low_speed_time_s = 60;   // abort (transient) when < 1 byte/s for this long
};

void curl_global_once();

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlListPtr = std::unique_ptr<curl_slist, CurlDeleter>;

// A new easy handle with the common options set (redirects followed, the
// token added to `headers`, which must outlive the transfer).
CurlPtr new_curl(const HubHttpOptions& options, CurlListPtr& headers);

// Collects response headers: names lower-cased; restarted at every status
// line, so after redirects it holds the final response's headers. Headers
// named in `keep_across` survive redirects (X-Linked-Etag is sent with the
// Hub's 302, not by the CDN).
struct HeaderSink {
  long status = 0;                             // of the latest status line
  std::map<std::string, std::string> headers;  // of the latest response
  std::map<std::string, std::string>
      linked;  // x-linked-etag / x-linked-size / x-repo-commit, any hop
  void on_line(std::string_view line);
  std::string header(const std::string& name) const;
};
size_t header_sink_callback(char* data, size_t size, size_t n, void* sink);

struct HttpResult {
  long status = 0;
  HeaderSink headers;
  std::string body;
};

// GET (or HEAD) `url`, following redirects; bodies over `max_body` bytes are
// an error. Transport failures are UNAVAILABLE; any HTTP status is returned.
StatusOr<HttpResult> http_fetch(const std::string& url, const HubHttpOptions& options,
                                bool head = false, size_t max_body = 64u << 20);

// The Status for a non-2xx Hub answer about `what` ("repository owner/name",
// "file f in owner/name"): 401/403 FAILED_PRECONDITION naming HF_TOKEN,
// 404 NOT_FOUND, 408/429/5xx UNAVAILABLE (worth a retry), others INTERNAL.
Status hub_http_error(long status, const HeaderSink& headers, const std::string& what,
                      bool have_token);

// True for curl failures worth retrying (resets, timeouts, truncated bodies).
bool is_transient_curl_error(CURLcode code);
// True for HTTP statuses worth retrying (408, 429, 5xx).
bool is_transient_http_status(long status);

// Percent-encodes each segment of a path, keeping the '/' separators.
std::string url_escape_path(std::string_view path);

}  // namespace impetus
