// download_file(): fetches one URL into a file, resumably and verified.
//
// Data goes to "<dest>.partial". If that file already exists, its bytes are
// hashed again and the transfer asks for the rest ("Range: bytes=N-"): a 206
// answer is appended, a 200 answer restarts from zero. The SHA-256 of the
// whole content is computed while streaming and compared with the expected
// digest (or, when none is given, the X-Linked-Etag the Hub sends with its
// redirect); on a match the file is fsync'ed and renamed to <dest>
// atomically; on a mismatch the partial file is deleted and DATA_LOSS
// returned, leaving nothing behind. Transient failures (connection resets,
// timeouts, truncated bodies, HTTP 408/429/5xx) are retried with
// exponential backoff, each attempt resuming where the last one stopped.
// A DownloadControl stops the transfer within one progress tick: `cancel`
// deletes the partial file, `stop` keeps it for a later resume; both return
// CANCELLED.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "store/hub_http.h"

namespace impetus {

enum class DownloadPhase {
  kPreparing,    // hashing the bytes of an existing partial file
  kDownloading,  // receiving bytes
  kVerifying,    // all bytes in: checking size and digest, syncing, renaming
  kDone,         // the file is in place
};

struct DownloadProgress {
  DownloadPhase phase = DownloadPhase::kPreparing;
  uint64_t bytes_done = 0;   // bytes in the partial file (a resumed prefix included)
  uint64_t bytes_total = 0;  // expected size; 0 = unknown
  double speed_bps = 0;      // bytes per second over the last few seconds
  double eta_s = -1;         // seconds left at that speed; -1 = unknown
};

// Called from the downloading thread at least every progress_interval while
// a transfer runs, at every phase change, and once with kDone at the end.
using DownloadProgressFn = std::function<void(const DownloadProgress&)>;

struct DownloaderOptions {
  HubHttpOptions http;   // token, user agent, timeouts
  int max_attempts = 6;  // failed attempts in a row (no byte gained) before giving up
  std::chrono::milliseconds retry_base_delay{
      1000};  // wait after the first failure, doubled after each
  std::chrono::milliseconds retry_max_delay{30000};  // cap on that wait
  std::chrono::milliseconds progress_interval{500};  // progress callback period
  bool require_sha256 = false;                       // refuse files whose digest is unknown
};

struct FileDownload {
  std::string url;     // what to GET (redirects are followed)
  std::string dest;    // the final path; its directory is created if needed
  std::string sha256;  // expected digest (hex); "" = the answer's X-Linked-Etag, if any
  uint64_t size = 0;   // expected size in bytes; 0 = unknown
  std::string what;    // names the file in messages ("file F of owner/name"); "" = the URL
};

// Flags another thread sets to end a transfer early (see above).
struct DownloadControl {
  std::atomic<bool> cancel{false};  // stop and delete the partial file
  std::atomic<bool> stop{false};    // stop and keep the partial file (shutdown)
};

// The path of the partial file for `dest`.
std::string partial_path(const std::string& dest);

// Downloads `file` (see above). OK means `dest` holds the verified content.
Status download_file(const FileDownload& file, const DownloaderOptions& options,
                     const DownloadControl* control = nullptr,
                     const DownloadProgressFn& progress = {});

}  // namespace impetus
