// The web dashboard's files (the Vite build of web/), served at "/".
//
// add_static_routes() answers GET and HEAD for "/" and every path below it
// from one directory: index.html at "/", files by their path, and, for paths
// that name no file and have no extension (client-side routes such as
// "/models"), index.html again so the app can route them. It never serves
// anything outside the directory ("..", dot-files, and symlinks leading out
// are refused), and never answers for the API prefixes (/api, /v1, /ws,
// /metrics): a path there that no API route took gets the usual 404 error.
// Responses carry the right Content-Type; files under assets/ (content-hashed
// names) are cached as immutable, everything else is revalidated (ETag, 304);
// when the client accepts gzip and a precompressed "<file>.gz" sits beside
// the file, that is sent with Content-Encoding: gzip.
//
// find_web_dir() says where the files are: see its comment.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/http/router.h"

namespace impetus {

// The dashboard directory, the first of these that holds an index.html:
//   1. $IMPETUS_WEB_DIR, when set (and then only it: a wrong value gives "");
//   2. <directory of the executable>/../share/impetus/web (an installed layout);
//   3. <source tree>/web/dist (a development build, located from this file's
//      compile-time path).
// exe_path: the running binary ("" = /proc/self/exe). Returns "" when none.
std::string find_web_dir(const std::string& exe_path = "");

// Registers the dashboard routes serving `web_dir` (which must hold index.html).
void add_static_routes(http::Router& router, const std::string& web_dir);

// The file a request path names inside `web_dir`, or nullopt when the path
// is not allowed (a "." or ".." segment, a dot-file, a backslash or NUL, or a
// symlink that leads outside web_dir). The file need not exist.
std::optional<std::string> static_file_path(const std::string& web_dir, std::string_view request_path);

// The Content-Type for a file name, by extension ("application/octet-stream" if unknown).
std::string static_content_type(std::string_view file_name);

// Whether an Accept-Encoding header value accepts gzip (honours q=0 and "*").
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace impetus
