// MockHub: a small Hugging Face Hub look-alike on 127.0.0.1 (a real HTTP
// server on raw sockets, one thread per connection, port 0) for the store
// tests and any test that needs to pull a model offline. It serves the
// shapes the real Hub uses:
//   GET  /api/models/{owner}/{name}/tree/main[?recursive=true&cursor=K]
//        JSON array of {type, oid, size, path[, lfs {oid, size, pointerSize}]},
//        paged with a Link: <...>; rel="next" header when a page size is set;
//   GET|HEAD /{owner}/{name}/resolve/main/{file}
//        LFS files: 302 to /cdn/{owner}/{name}/{file} with X-Linked-Etag
//        (the SHA-256), X-Linked-Size, X-Repo-Commit; other files: the bytes;
//        404 with X-Error-Code RepoNotFound / EntryNotFound when absent;
//   GET|HEAD /cdn/{owner}/{name}/{file}
//        the bytes, with Range (206, Content-Range; 416 past the end).
// Switches simulate faults: a dropped connection after K bytes (once),
// corrupted bytes, a forced status (401, 404, 500, ...), failures of the
// next N downloads, a required token, a server that ignores Range, and a
// slow trickle. Every request is recorded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace impetus::testing {

struct MockRequest {
  std::string method;
  std::string path;                            // decoded path, without the query
  std::string query;                           // raw query ("" if none)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string header(const std::string& name) const;
};

class MockHub {
 public:
  MockHub();
  ~MockHub();
  MockHub(const MockHub&) = delete;
  MockHub& operator=(const MockHub&) = delete;

  // Binds 127.0.0.1 on a free port and starts serving; false on failure.
  bool start();
  void stop();
  uint16_t port() const { return port_; }
  std::string endpoint() const;  // "http://127.0.0.1:<port>"

  // Adds (or replaces) a file. LFS files are listed with their SHA-256 and
  // redirected to the CDN path; others are served directly.
  void add_file(const std::string& repo, const std::string& path, std::string content,
                bool lfs = true);
  void set_tree_page_size(size_t n);  // entries per tree page; 0 = all in one

  void drop_after_once(
      size_t n_bytes);                 // the next CDN body is cut after n bytes (connection closed)
  void set_corrupt(bool on);           // CDN bytes have one byte flipped (the listed SHA-256 stays)
  void set_ignore_range(bool on);      // CDN answers Range requests with 200 and the whole file
  void set_forced_status(int status);  // every request gets this status; 0 = off
  void fail_next_downloads(int n, int status);  // the next n CDN requests get `status`
  void set_required_token(std::string token);   // without "Bearer <token>": 401; "" = none needed
  void set_trickle(size_t chunk_bytes,
                   std::chrono::milliseconds delay);  // slow CDN bodies; chunk 0 = off

  std::vector<MockRequest> requests() const;
  // Requests whose path starts with `prefix`.
  std::vector<MockRequest> requests_to(const std::string& prefix) const;
  size_t max_concurrent_cdn() const { return max_active_cdn_.load(); }

 private:
  struct File {
    std::string content;
    bool lfs = true;
    std::string sha256;
    std::string git_oid;
  };
  struct Response;
  void accept_loop();
  void serve(int fd);
  Response handle(const MockRequest& req);
  Response tree(const std::string& repo, const MockRequest& req);
  Response resolve(const std::string& repo, const std::string& file, const MockRequest& req);
  void send_cdn(int fd, const std::string& repo, const std::string& file, const MockRequest& req);
  bool send_all(int fd, const char* data, size_t n) const;

  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, File>> repos_;  // repo -> path -> file
  std::vector<MockRequest> log_;
  size_t page_size_ = 0;
  size_t drop_after_ = 0;
  bool drop_armed_ = false;
  bool corrupt_ = false;
  bool ignore_range_ = false;
  int forced_status_ = 0;
  int fail_n_ = 0;
  int fail_status_ = 500;
  std::string token_;
  size_t trickle_chunk_ = 0;
  std::chrono::milliseconds trickle_delay_{0};

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_cdn_{0};
  std::atomic<int> max_active_cdn_{0};
  std::thread acceptor_;
  std::mutex conn_mu_;
  std::vector<std::thread> conn_threads_;
  std::vector<int> conn_fds_;
};

}  // namespace impetus::testing
