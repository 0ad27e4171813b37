#include "store/download_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/log.h"
#include "store/sha256.h"

namespace impetus {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

// The partial file: a descriptor and its length.
class PartialFile {
 public:
  ~PartialFile() { close(); }
  Status open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return internal_error("cannot open " + path + ": " + errno_text());
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return internal_error("cannot stat " + path + ": " + errno_text());
    size_ = static_cast<uint64_t>(st.st_size);
    if (::lseek(fd_, 0, SEEK_END) < 0)
      return internal_error("cannot seek " + path + ": " + errno_text());
    return ok_status();
  }
  Status truncate() {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) < 0) {
      return internal_error("cannot truncate " + path_ + ": " + errno_text());
    }
    size_ = 0;
    return ok_status();
  }
  Status append(const char* data, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, data, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const int err = errno;
        return (err == ENOSPC
                    ? resource_exhausted("disk full while writing " + path_)
                    : internal_error("cannot write " + path_ + ": " + std::strerror(err)));
      }
      data += w;
      n -= static_cast<size_t>(w);
      size_ += static_cast<uint64_t>(w);
    }
    return ok_status();
  }
  Status sync() {
    if (::fsync(fd_) != 0) return internal_error("cannot fsync " + path_ + ": " + errno_text());
    return ok_status();
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unquote_etag(std::string s) {
  if (s.rfind("W/", 0) == 0) s = s.substr(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

// "bytes START-END/TOTAL" -> START (or -1).
int64_t content_range_start(const std::string& v) {
  const size_t sp = v.find(' ');
  if (sp == std::string::npos || v.compare(0, sp, "bytes") != 0) return -1;
  char* end = nullptr;
  const long long start = std::strtoll(v.c_str() + sp + 1, &end, 10);
  return (end != nullptr && *end == '-') ? start : -1;
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

class Transfer {
 public:
  Transfer(const FileDownload& file, const DownloaderOptions& options,
           const DownloadControl* control, const DownloadProgressFn& progress)
      : file_(file),
        opt_(options),
        control_(control),
        progress_(progress),
        partial_(partial_path(file.dest)),
        what_(file.what.empty() ? file.url : file.what) {}

  Status run();

 private:
  struct Attempt {
    Status status;
    bool retry = false;
  };
  Status prepare();
  Status hash_prefix();
  Attempt attempt();
  Attempt evaluate(CURLcode rc, const char* error);
  Status finish();
  Status discard(Status why);
  Status restart_file();
  bool wait_backoff(std::chrono::milliseconds delay) const;
  bool start_body();
  void report(DownloadPhase phase, bool force);
  bool is_stopping() const {
    return control_ != nullptr && (control_->cancel.load(std::memory_order_relaxed) ||
                                   control_->stop.load(std::memory_order_relaxed));
  }
  // Ends the transfer as cancelled: the partial file goes unless this is a stop.
  Status stopped() {
    Status st = cancelled("download of " + what_ + " cancelled");
    if (control_ != nullptr && control_->cancel.load()) return discard(st);
    out_.close();
    return st;
  }

  static size_t on_header(char* data, size_t size, size_t n, void* self);
  static size_t on_body(char* data, size_t size, size_t n, void* self);
  static int on_xfer(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  const FileDownload& file_;
  const DownloaderOptions& opt_;
  const DownloadControl* control_;
  const DownloadProgressFn& progress_;
  const std::string partial_;
  const std::string what_;
  PartialFile out_;
  Sha256 hash_;
  std::string linked_sha_;  // X-Linked-Etag seen on any answer
  // Per attempt.
  HeaderSink sink_;
  bool body_started_ = false;  // the current response's body has begun
  bool writing_ = false;       // ... and goes to the file
  std::string error_body_;
  Status local_error_;  // set by a callback that aborted the transfer
  bool local_retry_ = false;
  // Progress.
  Clock::time_point last_report_{};
  std::deque<std::pair<Clock::time_point, uint64_t>> samples_;
};

Status Transfer::run() {
  IMP_RETURN_IF_ERROR(prepare());
  int failures = 0;
  auto delay = opt_.retry_base_delay;
  while (!(file_.size > 0 && out_.size() == file_.size)) {
    const uint64_t before = out_.size();
    Attempt a = attempt();
    if (a.status.ok()) break;
    if (a.status.code() == StatusCode::kCancelled) return stopped();
    if (a.status.code() == StatusCode::kDataLoss) return discard(a.status);
    if (out_.size() > before) {
      failures = 0;
      delay = opt_.retry_base_delay;
    }
    if (!a.retry || ++failures >= opt_.max_attempts) {
      if (out_.size() == 0) (void)discard(ok_status());  // nothing worth resuming
      return a.retry ? a.status.with_context("giving up after " + std::to_string(failures) +
                                             " attempts")
                     : a.status;
    }
    IMP_LOG(kWarn, "download of ", what_, " failed (", a.status.message(), "); retrying in ",
            delay.count(), " ms from byte ", out_.size());
    if (!wait_backoff(delay)) return stopped();
    delay = std::min(delay * 2, opt_.retry_max_delay);
  }
  return finish();
}

Status Transfer::prepare() {
  std::error_code ec;
  const fs::path parent = fs::path(file_.dest).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return internal_error("cannot create " + parent.string() + ": " + ec.message());
  IMP_RETURN_IF_ERROR(out_.open(partial_));
  if (file_.size > 0 && out_.size() > file_.size) IMP_RETURN_IF_ERROR(out_.truncate());
  if (out_.size() > 0) IMP_RETURN_IF_ERROR(hash_prefix());
  return ok_status();
}

// Hashes the bytes already in the partial file (resuming).
Status Transfer::hash_prefix() {
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (done < out_.size()) {
    if (is_stopping()) return stopped();
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), out_.size() - done));
    const ssize_t got = ::pread(out_.fd(), buf.data(), want, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return internal_error("cannot read " + partial_ + ": " + errno_text());
    hash_.update(buf.data(), static_cast<size_t>(got));
    done += static_cast<uint64_t>(got);
    report(DownloadPhase::kPreparing, false);
  }
  return ok_status();
}

Transfer::Attempt Transfer::attempt() {
  sink_ = HeaderSink{};
  body_started_ = writing_ = local_retry_ = false;
  error_body_.clear();
  local_error_ = ok_status();
  CurlListPtr headers;
  CurlPtr curl = new_curl(opt_.http, headers);
  char error[CURL_ERROR_SIZE] = {0};
  const std::string range = std::to_string(out_.size()) + "-";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, file_.url.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L << 10);
  if (out_.size() > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  report(DownloadPhase::kDownloading, true);
  const CURLcode rc = curl_easy_perform(c);
  const std::string etag = unquote_etag(sink_.header("x-linked-etag"));
  if (is_sha256_hex(etag)) linked_sha_ = to_lower(etag);
  return evaluate(rc, error);
}

Transfer::Attempt Transfer::evaluate(CURLcode rc, const char* error) {
  if (is_stopping()) return {cancelled("download of " + what_ + " cancelled"), false};
  if (!local_error_.ok()) return {local_error_, local_retry_};
  const long status = sink_.status;
  if (status == 416) {  // the range is past the end: start over
    Status st = restart_file();
    return {st.ok() ? unavailable("the server refused to resume " + what_) : st, st.ok()};
  }
  if (status != 0 && status != 200 && status != 206) {
    HeaderSink h = sink_;
    if (h.header("x-error-message").empty() && !error_body_.empty())
      h.headers["x-error-message"] = error_body_.substr(0, 200);
    return {hub_http_error(status, h, what_, !opt_.http.token.empty()),
            is_transient_http_status(status)};
  }
  if (rc != CURLE_OK) {
    return {
        unavailable("download of " + what_ + " interrupted after " + std::to_string(out_.size()) +
                    " bytes: " + (error[0] ? error : curl_easy_strerror(rc))),
        is_transient_curl_error(rc)};
  }
  if (status == 200 && !body_started_ && out_.size() > 0) {
    Status st = restart_file();  // an empty 200 body replaces what we had
    if (!st.ok()) return {st, false};
  }
  if (file_.size > 0 && out_.size() < file_.size) {
    return {unavailable("the server closed " + what_ + " after " + std::to_string(out_.size()) +
                        " of " + std::to_string(file_.size) + " bytes"),
            true};
  }
  return {ok_status(), false};
}

Status Transfer::finish() {
  report(DownloadPhase::kVerifying, true);
  if (file_.size > 0 && out_.size() != file_.size) {
    return discard(data_loss("size mismatch for " + what_ + ": expected " +
                             std::to_string(file_.size) + " bytes, received " +
                             std::to_string(out_.size()) + "; the download was deleted"));
  }
  const std::string expected = file_.sha256.empty() ? linked_sha_ : to_lower(file_.sha256);
  const std::string got = hash_.hex_digest();
  if (expected.empty()) {
    if (opt_.require_sha256)
      return discard(data_loss("no SHA-256 is known for " + what_ + "; refusing it"));
    IMP_LOG(kWarn, "no SHA-256 known for ", what_, "; stored unverified");
  } else if (got != expected) {
    return discard(data_loss("checksum mismatch for " + what_ + ": expected SHA-256 " + expected +
                             ", got " + got + "; the download was deleted"));
  }
  IMP_RETURN_IF_ERROR(out_.sync());
  out_.close();
  if (::rename(partial_.c_str(), file_.dest.c_str()) != 0) {
    return internal_error("cannot rename " + partial_ + " to " + file_.dest + ": " + errno_text());
  }
  sync_directory(fs::path(file_.dest).parent_path().string());
  report(DownloadPhase::kDone, true);
  return ok_status();
}

// Removes the partial file and returns `why`.
Status Transfer::discard(Status why) {
  out_.close();
  ::unlink(partial_.c_str());
  return why;
}

Status Transfer::restart_file() {
  hash_.reset();
  samples_.clear();
  return out_.truncate();
}

bool Transfer::wait_backoff(std::chrono::milliseconds delay) const {
  const auto until = Clock::now() + delay;
  while (Clock::now() < until) {
    if (is_stopping()) return false;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(10), until - Clock::now()));
  }
  return !is_stopping();
}

// At the first body byte of a response: does it go to the file?
bool Transfer::start_body() {
  const long status = sink_.status;
  writing_ = status == 200 || status == 206;
  if (status == 206) {
    const int64_t start = content_range_start(sink_.header("content-range"));
    if (start != static_cast<int64_t>(out_.size())) {
      local_error_ = restart_file();
      if (local_error_.ok())
        local_error_ = unavailable("the server resumed " + what_ + " at the wrong offset");
      local_retry_ = true;
      return false;
    }
  } else if (status == 200 && out_.size() > 0) {
    local_error_ = restart_file();  // the server ignored the range: start over
    if (!local_error_.ok()) return false;
  }
  const std::string length = sink_.header("content-length");
  if (writing_ && file_.size > 0 && !length.empty() &&
      out_.size() + std::strtoull(length.c_str(), nullptr, 10) != file_.size) {
    local_error_ =
        data_loss("the server sends " + what_ + " with a different size than the Hub lists (" +
                  std::to_string(file_.size) + " bytes)");
    return false;
  }
  return true;
}

size_t Transfer::on_header(char* data, size_t size, size_t n, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->body_started_ = t->writing_ = false;
    t->error_body_.clear();
  }
  t->sink_.on_line(line);
  return size * n;
}

size_t Transfer::on_body(char* data, size_t size, size_t n, void* self) {
  auto* t = static_cast<Transfer*>(self);
  const size_t bytes = size * n;
  if (t->is_stopping()) return 0;
  if (!t->body_started_) {
    t->body_started_ = true;
    if (!t->start_body()) return 0;
  }
  if (!t->writing_) {
    if (t->error_body_.size() < 4096) t->error_body_.append(data, std::min<size_t>(bytes, 4096));
    return bytes;
  }
  if (Status st = t->out_.append(data, bytes); !st.ok()) {
    t->local_error_ = st;
    return 0;
  }
  t->hash_.update(data, bytes);
  t->report(DownloadPhase::kDownloading, false);
  return bytes;
}

int Transfer::on_xfer(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(self);
  if (t->is_stopping()) return 1;
  t->report(DownloadPhase::kDownloading, false);
  return 0;
}

void Transfer::report(DownloadPhase phase, bool force) {
  if (!progress_) return;
  const auto now = Clock::now();
  if (!force && now - last_report_ < opt_.progress_interval) return;
  last_report_ = now;
  samples_.emplace_back(now, out_.size());
  while (samples_.size() > 2 && now - samples_.front().first > std::chrono::seconds(5))
    samples_.pop_front();
  DownloadProgress p;
  p.phase = phase;
  p.bytes_done = out_.size();
  p.bytes_total = file_.size;
  const double dt = std::chrono::duration<double>(now - samples_.front().first).count();
  if (dt > 0.001 && samples_.back().second >= samples_.front().second) {
    p.speed_bps = static_cast<double>(samples_.back().second - samples_.front().second) / dt;
  }
  if (phase == DownloadPhase::kDone || phase == DownloadPhase::kVerifying) {
    p.eta_s = 0;
  } else if (p.bytes_total > 0 && p.speed_bps > 0) {
    p.eta_s =
        static_cast<double>(p.bytes_total - std::min(p.bytes_done, p.bytes_total)) / p.speed_bps;
  }
  progress_(p);
}

}  // namespace

std::string partial_path(const std::string& dest) { return dest + ".partial"; }

Status download_file(const FileDownload& file, const DownloaderOptions& options,
                     const DownloadControl* control, const DownloadProgressFn& progress) {
  if (file.url.empty() || file.dest.empty())
    return invalid_argument("download_file needs a url and a dest");
  if (!file.sha256.empty() && !is_sha256_hex(file.sha256)) {
    return invalid_argument("'" + file.sha256 + "' is not a SHA-256 digest");
  }
  Transfer transfer(file, options, control, progress);
  return transfer.run();
}

}  // namespace impetus
