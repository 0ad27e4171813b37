#include "server/routes/static_routes.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "core/log.h"
#include "server/api_error.h"

namespace impetus {
namespace {

namespace fs = std::filesystem;

constexpr uintmax_t kMaxFileBytes = 64u << 20;  // nothing the dashboard ships comes near this

// First path segments that belong to the API: never answered with the app.
constexpr std::string_view kApiPrefixes[] = {"api", "v1", "ws", "metrics"};

constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";
constexpr const char* kCsp =
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > pos) out.push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view extension(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view() : name.substr(dot + 1);
}

// True when `inner` is `outer` or lies below it (both canonical).
bool is_within(const fs::path& outer, const fs::path& inner) {
  auto o = outer.begin(), i = inner.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (o->empty() && std::next(o) == outer.end()) break;  // trailing separator of outer
    if (i == inner.end() || *o != *i) return false;
  }
  return true;
}

bool read_file(const fs::path& file, std::string* out) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  if (ec || size > kMaxFileBytes) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  out->resize(static_cast<size_t>(size));
  in.read(out->data(), static_cast<std::streamsize>(size));
  return static_cast<uintmax_t>(in.gcount()) == size;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// A validator that changes when the file does: size and modification time.
std::string etag_for(const fs::path& file, bool gzip) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
  std::ostringstream s;
  s << "W/\"" << std::hex << size << '-' << static_cast<uint64_t>(mtime) << (gzip ? "-gz" : "") << '"';
  return s.str();
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  if (if_none_match.find('*') != std::string_view::npos) return true;
  size_t pos = 0;
  while (pos < if_none_match.size()) {
    size_t comma = if_none_match.find(',', pos);
    if (comma == std::string_view::npos) comma = if_none_match.size();
    std::string_view tag = if_none_match.substr(pos, comma - pos);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    auto strip_weak = [](std::string_view t) { return t.substr(0, 2) == "W/" ? t.substr(2) : t; };
    if (strip_weak(tag) == strip_weak(etag)) return true;
    pos = comma + 1;
  }
  return false;
}

// Static types whose missing files get a 404 rather than the app.
bool is_asset_extension(std::string_view ext) {
  static const char* const kExts[] = {"js",  "mjs", "css",  "map",  "json", "svg", "png",  "jpg", "jpeg",
                                      "gif", "webp", "ico", "woff", "woff2", "ttf", "otf", "txt", "wasm",
                                      "html", "htm", "gz",  "webmanifest", "xml"};
  const std::string e = lower(ext);
  return std::any_of(std::begin(kExts), std::end(kExts), [&](const char* k) { return e == k; });
}

struct Site {
  fs::path root;  // canonical
};

void send_file(const fs::path& file, bool immutable, const http::HttpRequest& req, http::Responder& res) {
  const fs::path gz = fs::path(file.string() + ".gz");
  const bool has_gz = is_file(gz);
  const bool use_gz = has_gz && accepts_gzip(req.header("accept-encoding"));
  const fs::path& chosen = use_gz ? gz : file;
  const std::string etag = etag_for(chosen, use_gz);
  const std::string type = static_content_type(file.filename().string());
  http::HttpResponse r;
  r.content_type = type;
  r.headers.emplace_back("Cache-Control", immutable ? kImmutable : kRevalidate);
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (has_gz) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (type.rfind("text/html", 0) == 0) {
    r.headers.emplace_back("Content-Security-Policy", kCsp);
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (etag_matches(req.header("if-none-match"), etag)) {
    r.status = 304;
    return res.respond(std::move(r));
  }
  if (!read_file(chosen, &r.body)) {
    return res.respond(error_response_for_http(500, "cannot read " + file.filename().string()));
  }
  if (use_gz) r.headers.emplace_back("Content-Encoding", "gzip");
  res.respond(std::move(r));
}

void serve(const Site& site, const http::HttpRequest& req, http::Responder& res) {
  const std::vector<std::string_view> segs = segments(req.path);
  if (!segs.empty() &&
      std::find(std::begin(kApiPrefixes), std::end(kApiPrefixes), segs.front()) != std::end(kApiPrefixes)) {
    return res.respond(error_response_for_http(404, "no route for " + req.method + " " + req.path));
  }
  const auto file = static_file_path(site.root.string(), req.path);
  if (!file) return res.respond(error_response_for_http(404, "not found: " + req.path));
  if (!segs.empty() && is_file(*file)) {
    return send_file(*file, segs.front() == "assets", req, res);
  }
  const bool client_route =
      segs.empty() || (segs.front() != "assets" && !is_asset_extension(extension(segs.back())));
  if (!client_route) return res.respond(error_response_for_http(404, "not found: " + req.path));
  send_file(site.root / "index.html", false, req, res);
}

}  // namespace

std::optional<std::string> static_file_path(const std::string& web_dir, std::string_view request_path) {
  fs::path rel;
  for (std::string_view seg : segments(request_path)) {
    if (seg.front() == '.') return std::nullopt;  // ".", "..", dot-files
    if (seg.find('\\') != std::string_view::npos || seg.find('\0') != std::string_view::npos) {
      return std::nullopt;
    }
    rel /= fs::path(std::string(seg));
  }
  std::error_code ec;
  const fs::path root = fs::weakly_canonical(fs::path(web_dir), ec);
  if (ec) return std::nullopt;
  const fs::path full = fs::weakly_canonical(root / rel, ec);
  if (ec || !is_within(root, full)) return std::nullopt;  // a symlink leading out
  return full.string();
}

std::string static_content_type(std::string_view file_name) {
  struct Type {
    const char* ext;
    const char* type;
  };
  static const Type kTypes[] = {
      {"html", "text/html; charset=utf-8"},     {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"}, {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},       {"json", "application/json"},
      {"map", "application/json"},              {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},                 {"png", "image/png"},
      {"jpg", "image/jpeg"},                    {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},                     {"webp", "image/webp"},
      {"ico", "image/x-icon"},                  {"woff", "font/woff"},
      {"woff2", "font/woff2"},                  {"ttf", "font/ttf"},
      {"otf", "font/otf"},                      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},             {"xml", "application/xml"},
  };
  const std::string ext = lower(extension(file_name));
  for (const Type& t : kTypes) {
    if (ext == t.ext) return t.type;
  }
  return "application/octet-stream";
}

bool accepts_gzip(std::string_view accept_encoding) {
  bool star = false, gzip = false, gzip_refused = false;
  size_t pos = 0;
  while (pos < accept_encoding.size()) {
    size_t comma = accept_encoding.find(',', pos);
    if (comma == std::string_view::npos) comma = accept_encoding.size();
    std::string item = lower(accept_encoding.substr(pos, comma - pos));
    pos = comma + 1;
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    item.erase(std::remove(item.begin(), item.end(), '\t'), item.end());
    const size_t semi = item.find(';');
    const std::string coding = item.substr(0, semi);
    bool refused = false;
    if (semi != std::string::npos) {
      const size_t q = item.find("q=", semi);
      if (q != std::string::npos) refused = std::strtod(item.c_str() + q + 2, nullptr) <= 0.0;
    }
    if (coding == "gzip" || coding == "x-gzip") {
      gzip = !refused;
      gzip_refused = refused;
    } else if (coding == "*") {
      star = !refused;
    }
  }
  return gzip || (star && !gzip_refused);
}

std::string find_web_dir(const std::string& exe_path) {
  auto has_index = [](const fs::path& dir) { return is_file(dir / "index.html"); };
  auto canonical = [](const fs::path& dir) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(dir, ec);
    return ec ? dir.string() : c.string();
  };
  if (const char* env = std::getenv("IMPETUS_WEB_DIR"); env != nullptr && *env != '\0') {
    if (has_index(env)) return canonical(env);
    IMP_LOG(kWarn, "IMPETUS_WEB_DIR=", env, " holds no index.html: the dashboard is not served");
    return "";
  }
  std::error_code ec;
  const fs::path exe = exe_path.empty() ? fs::read_symlink("/proc/self/exe", ec) : fs::path(exe_path);
  if (!exe.empty()) {
    const fs::path installed = exe.parent_path() / ".." / "share" / "impetus" / "web";
    if (has_index(installed)) return canonical(installed);
  }
  // This file is <source>/src/server/routes/static_routes.cc.
  const fs::path self(__FILE__);
  if (self.is_absolute()) {
    const fs::path dist = self.parent_path().parent_path().parent_path().parent_path() / "web" / "dist";
    if (has_index(dist)) return canonical(dist);
  }
  return "";
}

void add_static_routes(http::Router& router, const std::string& web_dir) {
  std::error_code ec;
  auto site = std::make_shared<Site>();
  site->root = fs::weakly_canonical(fs::path(web_dir), ec);
  if (ec || web_dir.empty() || !is_file(site->root / "index.html")) {
    IMP_LOG(kWarn, "dashboard: '", web_dir, "' holds no index.html; not serving it");
    return;
  }
  http::Handler handler = [site](const http::HttpRequest& req, std::shared_ptr<http::Responder> res) {
    serve(*site, req, *res);
  };
  for (const char* method : {"GET", "HEAD"}) {
    router.add(method, "/", handler);
    router.add(method, "/{path*}", handler);
  }
}

}  // namespace impetus
