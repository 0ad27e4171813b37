#include "store/mock_hub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "store/sha256.h"

namespace impetus::testing {

struct MockHub::Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool cdn = false;  // the body is a CDN file, sent by send_cdn()
  std::string repo, file;
};

namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 302:
      return "Found";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string git_blob_oid(const std::string& content) {
  const std::string header = "blob " + std::to_string(content.size()) + std::string(1, '\0');
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, header.data(), header.size());
  EVP_DigestUpdate(ctx, content.data(), content.size());
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string query_param(const std::string& query, const std::string& key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string kv = query.substr(pos, amp - pos);
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
    pos = amp + 1;
  }
  return "";
}

std::string error_json(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump();
}

// Reads one request head (we never need bodies); false on EOF or garbage.
bool read_request(int fd, MockRequest& req) {
  std::string buf;
  char tmp[4096];
  while (buf.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0 || buf.size() > (64u << 10)) return false;
    buf.append(tmp, static_cast<size_t>(n));
  }
  const size_t line_end = buf.find("\r\n");
  const std::string line = buf.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  req.method = line.substr(0, sp1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = target.find('?');
  req.path = percent_decode(target.substr(0, q));
  req.query = q == std::string::npos ? "" : target.substr(q + 1);
  size_t pos = line_end + 2;
  while (true) {
    const size_t end = buf.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    const std::string h = buf.substr(pos, end - pos);
    const size_t colon = h.find(':');
    if (colon != std::string::npos) {
      std::string name = h.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = colon + 1;
      while (v < h.size() && h[v] == ' ') ++v;
      req.headers[name] = h.substr(v);
    }
    pos = end + 2;
  }
  return true;
}

std::string head_text(int status, const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  for (const auto& [k, v] : headers) out += k + ": " + v + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out;
}

}  // namespace

std::string MockRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

MockHub::MockHub() = default;
MockHub::~MockHub() { stop(); }

bool MockHub::start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return false;
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    return false;
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
  return true;
}

void MockHub::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(conn_mu_);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(conn_threads_);
  }
  for (auto& t : threads) t.join();
}

std::string MockHub::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void MockHub::add_file(const std::string& repo, const std::string& path, std::string content,
                       bool lfs) {
  File f;
  f.sha256 = sha256_hex(content);
  f.git_oid = git_blob_oid(content);
  f.content = std::move(content);
  f.lfs = lfs;
  std::lock_guard lock(mu_);
  repos_[repo][path] = std::move(f);
}

void MockHub::set_tree_page_size(size_t n) {
  std::lock_guard lock(mu_);
  page_size_ = n;
}
void MockHub::drop_after_once(size_t n) {
  std::lock_guard lock(mu_);
  drop_after_ = n;
  drop_armed_ = true;
}
void MockHub::set_corrupt(bool on) {
  std::lock_guard lock(mu_);
  corrupt_ = on;
}
void MockHub::set_ignore_range(bool on) {
  std::lock_guard lock(mu_);
  ignore_range_ = on;
}
void MockHub::set_forced_status(int status) {
  std::lock_guard lock(mu_);
  forced_status_ = status;
}
void MockHub::fail_next_downloads(int n, int status) {
  std::lock_guard lock(mu_);
  fail_n_ = n;
  fail_status_ = status;
}
void MockHub::set_required_token(std::string token) {
  std::lock_guard lock(mu_);
  token_ = std::move(token);
}
void MockHub::set_trickle(size_t chunk, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  trickle_chunk_ = chunk;
  trickle_delay_ = delay;
}

std::vector<MockRequest> MockHub::requests() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::vector<MockRequest> MockHub::requests_to(const std::string& prefix) const {
  std::vector<MockRequest> out;
  for (auto& r : requests()) {
    if (r.path.rfind(prefix, 0) == 0) out.push_back(r);
  }
  return out;
}

void MockHub::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard lock(conn_mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    conn_fds_.push_back(fd);
    conn_threads_.emplace_back([this, fd] {
      serve(fd);
      std::lock_guard l(conn_mu_);
      conn_fds_.erase(std::find(conn_fds_.begin(), conn_fds_.end(), fd));
      ::close(fd);
    });
  }
}

bool MockHub::send_all(int fd, const char* data, size_t n) const {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void MockHub::serve(int fd) {
  MockRequest req;
  if (!read_request(fd, req)) return;
  {
    std::lock_guard lock(mu_);
    log_.push_back(req);
  }
  Response r = handle(req);
  if (r.cdn) return send_cdn(fd, r.repo, r.file, req);
  r.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
  std::string out = head_text(r.status, r.headers);
  if (req.method != "HEAD") out += r.body;
  send_all(fd, out.data(), out.size());
}

MockHub::Response MockHub::handle(const MockRequest& req) {
  Response r;
  r.headers.emplace_back("Content-Type", "application/json");
  {
    std::lock_guard lock(mu_);
    if (forced_status_ != 0) {
      r.status = forced_status_;
      r.headers.emplace_back("X-Error-Message", "forced status " + std::to_string(forced_status_));
      r.body = error_json("forced status");
      return r;
    }
    if (!token_.empty() && req.header("authorization") != "Bearer " + token_) {
      r.status = 401;
      r.headers.emplace_back("X-Error-Message", "Invalid credentials in Authorization header");
      r.body = error_json("Invalid credentials in Authorization header");
      return r;
    }
  }
  // /api/models/{o}/{n}/tree/main, /{o}/{n}/resolve/main/{file}, /cdn/{o}/{n}/{file}
  std::vector<std::string> seg;
  for (size_t pos = 1; pos <= req.path.size();) {
    size_t end = req.path.find('/', pos);
    if (end == std::string::npos) end = req.path.size();
    seg.push_back(req.path.substr(pos, end - pos));
    pos = end + 1;
  }
  auto rest = [&](size_t from) {
    std::string out;
    for (size_t i = from; i < seg.size(); ++i) out += (i > from ? "/" : "") + seg[i];
    return out;
  };
  if (seg.size() == 6 && seg[0] == "api" && seg[1] == "models" && seg[4] == "tree" &&
      seg[5] == "main") {
    return tree(seg[2] + "/" + seg[3], req);
  }
  if (seg.size() >= 5 && seg[2] == "resolve" && seg[3] == "main")
    return resolve(seg[0] + "/" + seg[1], rest(4), req);
  if (seg.size() >= 4 && seg[0] == "cdn") {
    r.cdn = true;
    r.repo = seg[1] + "/" + seg[2];
    r.file = rest(3);
    return r;
  }
  r.status = 404;
  r.body = error_json("no such route");
  return r;
}

MockHub::Response MockHub::tree(const std::string& repo, const MockRequest& req) {
  Response r;
  r.headers.emplace_back("Content-Type", "application/json");
  std::lock_guard lock(mu_);
  auto it = repos_.find(repo);
  if (it == repos_.end()) {
    r.status = 404;
    r.headers.emplace_back("X-Error-Code", "RepoNotFound");
    r.headers.emplace_back("X-Error-Message", "Repository not found");
    r.body = error_json("Repository not found");
    return r;
  }
  nlohmann::json all = nlohmann::json::array();
  std::map<std::string, bool> dirs;
  for (const auto& [path, f] : it->second) {
    for (size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1))
      dirs[path.substr(0, s)] = true;
  }
  for (const auto& [dir, unused] : dirs)
    all.push_back(
        {{"type", "directory"}, {"oid", std::string(40, '0')}, {"size", 0}, {"path", dir}});
  for (const auto& [path, f] : it->second) {
    nlohmann::json e = {
        {"type", "file"}, {"oid", f.git_oid}, {"size", f.content.size()}, {"path", path}};
    if (f.lfs) {
      e["size"] = f.content.size();
      e["lfs"] = {{"oid", f.sha256}, {"size", f.content.size()}, {"pointerSize", 134}};
    }
    all.push_back(e);
  }
  const std::string cursor = query_param(req.query, "cursor");
  const size_t start = cursor.empty() ? 0 : std::stoul(cursor);
  const size_t n = page_size_ == 0 ? all.size() : page_size_;
  nlohmann::json page = nlohmann::json::array();
  for (size_t i = start; i < all.size() && i < start + n; ++i) page.push_back(all[i]);
  if (start + n < all.size()) {
    r.headers.emplace_back("Link", "<" + endpoint() + "/api/models/" + repo +
                                       "/tree/main?recursive=true&cursor=" +
                                       std::to_string(start + n) + ">; rel=\"next\"");
  }
  r.body = page.dump();
  return r;
}

MockHub::Response MockHub::resolve(const std::string& repo, const std::string& file,
                                   const MockRequest&) {
  Response r;
  std::lock_guard lock(mu_);
  auto it = repos_.find(repo);
  if (it == repos_.end() || it->second.find(file) == it->second.end()) {
    const bool no_repo = it == repos_.end();
    r.status = 404;
    r.headers.emplace_back("X-Error-Code", no_repo ? "RepoNotFound" : "EntryNotFound");
    r.headers.emplace_back("X-Error-Message", no_repo ? "Repository not found" : "Entry not found");
    r.body = error_json(no_repo ? "Repository not found" : "Entry not found");
    return r;
  }
  const File& f = it->second.at(file);
  r.headers.emplace_back("X-Repo-Commit", std::string(40, 'c'));
  if (!f.lfs) {
    r.headers.emplace_back("Content-Type", "application/octet-stream");
    r.headers.emplace_back("ETag", "\"" + f.git_oid + "\"");
    r.body = f.content;
    return r;
  }
  r.status = 302;
  r.headers.emplace_back("Location", endpoint() + "/cdn/" + repo + "/" + file);
  r.headers.emplace_back("X-Linked-Etag", "\"" + f.sha256 + "\"");
  r.headers.emplace_back("X-Linked-Size", std::to_string(f.content.size()));
  r.headers.emplace_back("ETag", "\"" + f.sha256 + "\"");
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = "Found. Redirecting to " + endpoint() + "/cdn/" + repo + "/" + file;
  return r;
}

void MockHub::send_cdn(int fd, const std::string& repo, const std::string& file,
                       const MockRequest& req) {
  std::string content;
  size_t drop_at = std::string::npos;
  bool ignore_range = false;
  size_t chunk = 0;
  std::chrono::milliseconds delay{0};
  int fail = 0;
  {
    std::lock_guard lock(mu_);
    auto it = repos_.find(repo);
    if (it != repos_.end() && it->second.count(file) != 0)
      content = it->second.at(file).content;
    else
      fail = 404;
    if (fail == 0 && fail_n_ > 0 && req.method == "GET") {
      --fail_n_;
      fail = fail_status_;
    }
    if (fail == 0 && corrupt_ && !content.empty()) content[content.size() / 2] ^= 0x5a;
    if (fail == 0 && drop_armed_ && req.method == "GET") {
      drop_at = drop_after_;
      drop_armed_ = false;
    }
    ignore_range = ignore_range_;
    chunk = trickle_chunk_;
    delay = trickle_delay_;
  }
  if (fail != 0) {
    const std::string body = error_json("cdn failure");
    std::string out = head_text(fail, {{"Content-Type", "application/json"},
                                       {"Content-Length", std::to_string(body.size())}});
    out += body;
    send_all(fd, out.data(), out.size());
    return;
  }
  size_t start = 0;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/octet-stream"},
      {"Accept-Ranges", "bytes"},
      {"ETag", "\"" + sha256_hex(content) + "\""}};
  const std::string range = req.header("range");
  if (!range.empty() && !ignore_range && range.rfind("bytes=", 0) == 0) {
    start = std::stoul(range.substr(6));
    if (start >= content.size()) {
      std::string out =
          head_text(416, {{"Content-Range", "bytes */" + std::to_string(content.size())},
                          {"Content-Length", "0"}});
      send_all(fd, out.data(), out.size());
      return;
    }
    status = 206;
    headers.emplace_back("Content-Range", "bytes " + std::to_string(start) + "-" +
                                              std::to_string(content.size() - 1) + "/" +
                                              std::to_string(content.size()));
  }
  headers.emplace_back("Content-Length", std::to_string(content.size() - start));
  const std::string head = head_text(status, headers);
  if (!send_all(fd, head.data(), head.size()) || req.method == "HEAD") return;
  const int now_active = ++active_cdn_;
  for (int m = max_active_cdn_.load();
       now_active > m && !max_active_cdn_.compare_exchange_weak(m, now_active);) {
  }
  size_t end = content.size();
  if (drop_at != std::string::npos) end = std::min(end, start + drop_at);
  for (size_t pos = start; pos < end && !stopping_;) {
    const size_t n = chunk == 0 ? end - pos : std::min(chunk, end - pos);
    if (!send_all(fd, content.data() + pos, n)) break;
    pos += n;
    if (chunk != 0 && pos < end) std::this_thread::sleep_for(delay);
  }
  --active_cdn_;
  if (drop_at != std::string::npos) ::shutdown(fd, SHUT_RDWR);  // cut the body short
}

}  // namespace impetus::testing
