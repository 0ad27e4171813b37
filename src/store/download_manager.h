// DownloadManager: the server's queue of model downloads. A request (model
// id + optional quantization) is resolved to one file (DownloadResolver),
// checked against the free disk space, and queued as a task with a random
// id; at most max_concurrent tasks download at once, the others wait in
// order. Tasks can be listed, looked up and cancelled; finished tasks are
// kept (the newest max_finished_kept) so clients can read their outcome.
//
//   DownloadManager dm(options, make_hub_resolver(hub));
//   dm.set_on_complete([&](const DownloadTask& t) {
//     if (t.status == DownloadStatus::kCompleted && t.auto_load) load(t.path);
//   });
//   auto task = dm.submit({"TheBloke/TinyLlama-GGUF:Q4_K_M"});
//
// Files go to <models_dir>/<owner>/<name>/<file> (local_model_path()).
// Thread-safe. Callbacks run on a download thread, never under the
// manager's lock; long work in on_complete delays that download slot.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/disk_space.h"
#include "store/download_file.h"
#include "store/download_resolver.h"

namespace impetus {

enum class DownloadStatus { kQueued, kDownloading, kVerifying, kCompleted, kFailed, kCancelled };

// "queued", "downloading", "verifying", "completed", "failed", "cancelled".
std::string_view download_status_name(DownloadStatus status);
// Completed, failed or cancelled.
bool is_finished(DownloadStatus status);

struct DownloadRequest {
  std::string model_id;      // catalog id or Hub reference (see model_files.h)
  std::string quantization;  // "" = none given
  bool auto_load = false;    // handed to on_complete; the manager itself never loads
};

// A snapshot of one task.
struct DownloadTask {
  std::string task_id;       // random, UUID-shaped
  std::string model_id;      // as requested
  std::string quantization;  // as requested ("" = none)
  bool auto_load = false;
  std::string repo;  // resolved "owner/name"
  std::string file;  // resolved path in the repo
  std::string path;  // the local file it becomes
  DownloadStatus status = DownloadStatus::kQueued;
  uint64_t downloaded_bytes = 0;
  uint64_t total_bytes = 0;  // 0 = unknown
  double speed_bps = 0;      // bytes per second, recent
  double eta_s = -1;         // -1 = unknown
  std::string error;         // message when failed ("" otherwise)
  StatusCode error_code = StatusCode::kOk;
  int64_t created_at = 0;    // unix seconds
  int64_t started_at = 0;    // unix seconds; 0 = not started
  int64_t completed_at = 0;  // unix seconds when it finished (any outcome); 0 = not yet

  // 0..100: downloaded share of the total (100 once completed).
  double progress_percent() const;
};

struct DownloadManagerOptions {
  std::string models_dir;                    // where files go (created if missing)
  int max_concurrent = 2;                    // downloads running at once
  double space_margin = 1.1;                 // free space must be >= needed bytes * this
  size_t max_finished_kept = 100;            // finished tasks remembered
  DownloaderOptions downloader;              // retries, token, progress period
  FreeSpaceFn free_space = free_disk_bytes;  // injectable for tests
};

class DownloadManager {
 public:
  using TaskCallback = std::function<void(const DownloadTask&)>;

  DownloadManager(DownloadManagerOptions options, DownloadResolver resolver);
  // Stops running transfers (keeping their partial files for a resume) and joins.
  ~DownloadManager();
  DownloadManager(const DownloadManager&) = delete;
  DownloadManager& operator=(const DownloadManager&) = delete;

  // Set both before the first submit.
  void set_on_complete(TaskCallback fn);  // each finished task (completed, failed, cancelled), once
  void set_on_progress(TaskCallback fn);  // status changes and progress ticks

  // Resolves and queues a download; blocks for the resolution (Hub API).
  // Errors: INVALID_ARGUMENT (bad id/path), NOT_FOUND, FAILED_PRECONDITION
  // (Hub authentication), RESOURCE_EXHAUSTED (disk space), UNAVAILABLE.
  // If the same file is already queued or downloading, that task is
  // returned (auto_load set if either request asked for it); if it is
  // already on disk with the right size, the task is completed at once (and
  // on_complete runs).
  StatusOr<DownloadTask> submit(const DownloadRequest& request);
  // submit() on the manager's own thread; `done` runs there.
  void submit_async(DownloadRequest request, std::function<void(StatusOr<DownloadTask>)> done);

  std::optional<DownloadTask> get(const std::string& task_id) const;
  std::vector<DownloadTask> list() const;  // oldest first
  // Cancels a queued or running task (its partial file is deleted); a
  // finished task is returned unchanged. NOT_FOUND for an unknown id. The
  // snapshot says "cancelled" at once; a transfer that finished in the same
  // instant may still end "completed".
  StatusOr<DownloadTask> cancel(const std::string& task_id);

  const DownloadManagerOptions& options() const { return options_; }

 private:
  struct Task;
  struct Intake {
    DownloadRequest request;
    std::function<void(StatusOr<DownloadTask>)> done;
  };
  StatusOr<DownloadTask> enqueue(const DownloadRequest& request, const DownloadSpec& spec,
                                 bool* already_done);
  Status check_space_locked(const DownloadSpec& spec, const std::string& path) const;
  void worker_loop();
  void intake_loop();
  void run_task(const std::shared_ptr<Task>& task);
  void finish_task(const std::shared_ptr<Task>& task, const Status& result);
  void prune_locked();
  std::string new_task_id_locked();

  const DownloadManagerOptions options_;
  const DownloadResolver resolver_;
  TaskCallback on_complete_;
  TaskCallback on_progress_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  std::vector<std::string> order_;  // task ids, oldest first
  std::deque<std::string> queue_;   // queued task ids
  std::deque<Intake> intake_;
  uint64_t id_state_ = 0;
  std::vector<std::thread> workers_;
  std::thread intake_thread_;
};

}  // namespace impetus
