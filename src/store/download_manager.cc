#include "store/download_manager.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include "core/log.h"
#include "store/model_files.h"

namespace impetus {

struct DownloadManager::Task {
  DownloadTask snap;
  DownloadSpec spec;
  DownloadControl control;
};

namespace {

namespace fs = std::filesystem;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

bool is_active(DownloadStatus s) { return !is_finished(s); }

uint64_t file_size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

}  // namespace

std::string_view download_status_name(DownloadStatus status) {
  switch (status) {
    case DownloadStatus::kQueued:
      return "queued";
    case DownloadStatus::kDownloading:
      return "downloading";
    case DownloadStatus::kVerifying:
      return "verifying";
    case DownloadStatus::kCompleted:
      return "completed";
    case DownloadStatus::kFailed:
      return "failed";
    case DownloadStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

bool is_finished(DownloadStatus s) {
  return s == DownloadStatus::kCompleted || s == DownloadStatus::kFailed ||
         s == DownloadStatus::kCancelled;
}

double DownloadTask::progress_percent() const {
  if (status == DownloadStatus::kCompleted) return 100.0;
  if (total_bytes == 0) return 0.0;
  return std::min(100.0,
                  100.0 * static_cast<double>(downloaded_bytes) / static_cast<double>(total_bytes));
}

DownloadManager::DownloadManager(DownloadManagerOptions options, DownloadResolver resolver)
    : options_(std::move(options)), resolver_(std::move(resolver)) {
  IMP_CHECK(options_.max_concurrent >= 1, "max_concurrent must be >= 1");
  IMP_CHECK(resolver_ != nullptr, "a DownloadManager needs a resolver");
  std::random_device rd;
  id_state_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(unix_now());
  for (int i = 0; i < options_.max_concurrent; ++i)
    workers_.emplace_back([this] { worker_loop(); });
  intake_thread_ = std::thread([this] { intake_loop(); });
}

DownloadManager::~DownloadManager() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, task] : tasks_) task->control.stop = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  intake_thread_.join();
}

void DownloadManager::set_on_complete(TaskCallback fn) { on_complete_ = std::move(fn); }
void DownloadManager::set_on_progress(TaskCallback fn) { on_progress_ = std::move(fn); }

StatusOr<DownloadTask> DownloadManager::submit(const DownloadRequest& request) {
  if (request.model_id.empty()) return invalid_argument("model_id must not be empty");
  IMP_ASSIGN_OR_RETURN(DownloadSpec spec, resolver_(request.model_id, request.quantization));
  IMP_RETURN_IF_ERROR(validate_repo_id(spec.repo));
  IMP_RETURN_IF_ERROR(validate_repo_file(spec.file));
  if (spec.url.empty()) return invalid_argument("the resolver gave no URL for " + request.model_id);
  bool already_done = false;
  IMP_ASSIGN_OR_RETURN(DownloadTask snap, enqueue(request, spec, &already_done));
  if (already_done) {
    if (on_progress_) on_progress_(snap);
    if (on_complete_) on_complete_(snap);
  }
  return snap;
}

StatusOr<DownloadTask> DownloadManager::enqueue(const DownloadRequest& request,
                                                const DownloadSpec& spec, bool* already_done) {
  const std::string path = local_model_path(options_.models_dir, spec.repo, spec.file);
  std::error_code ec;
  fs::create_directories(options_.models_dir, ec);
  if (ec)
    return internal_error("cannot create the models directory " + options_.models_dir + ": " +
                          ec.message());
  std::lock_guard lock(mu_);
  if (stopping_) return unavailable("the download manager is shutting down");
  for (const auto& [id, t] : tasks_) {
    if (t->snap.path == path && is_active(t->snap.status)) {
      t->snap.auto_load = t->snap.auto_load || request.auto_load;  // the later request may ask to load
      return t->snap;
    }
  }
  auto task = std::make_shared<Task>();
  task->spec = spec;
  DownloadTask& s = task->snap;
  s.task_id = new_task_id_locked();
  s.model_id = request.model_id;
  s.quantization = request.quantization;
  s.auto_load = request.auto_load;
  s.repo = spec.repo;
  s.file = spec.file;
  s.path = path;
  s.total_bytes = spec.size;
  s.created_at = unix_now();
  if (spec.size > 0 && file_size_or_zero(path) == spec.size) {
    s.status =
        DownloadStatus::kCompleted;  // already downloaded (only verified files are ever put there)
    s.downloaded_bytes = spec.size;
    s.started_at = s.completed_at = s.created_at;
    *already_done = true;
  } else {
    IMP_RETURN_IF_ERROR(check_space_locked(spec, path));
    s.downloaded_bytes = std::min(file_size_or_zero(partial_path(path)), spec.size);
    queue_.push_back(s.task_id);
  }
  tasks_[s.task_id] = task;
  order_.push_back(s.task_id);
  prune_locked();
  cv_.notify_all();
  return s;
}

// The bytes still to come for this file plus those of every active task
// must fit in the free space (with the margin).
Status DownloadManager::check_space_locked(const DownloadSpec& spec,
                                           const std::string& path) const {
  if (spec.size == 0) return ok_status();  // unknown: nothing to check
  uint64_t needed = spec.size - std::min(file_size_or_zero(partial_path(path)), spec.size);
  for (const auto& [id, t] : tasks_) {
    if (is_active(t->snap.status) && t->snap.total_bytes > t->snap.downloaded_bytes) {
      needed += t->snap.total_bytes - t->snap.downloaded_bytes;
    }
  }
  IMP_ASSIGN_OR_RETURN(uint64_t available, options_.free_space(options_.models_dir));
  return check_disk_space(available, needed, options_.space_margin, options_.models_dir);
}

void DownloadManager::submit_async(DownloadRequest request,
                                   std::function<void(StatusOr<DownloadTask>)> done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      intake_.push_back({std::move(request), std::move(done)});
      cv_.notify_all();
      return;
    }
  }
  done(unavailable("the download manager is shutting down"));
}

void DownloadManager::intake_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !intake_.empty(); });
    if (intake_.empty()) return;
    Intake item = std::move(intake_.front());
    intake_.pop_front();
    const bool stop = stopping_;
    lock.unlock();
    if (stop) {
      item.done(unavailable("the download manager is shutting down"));
    } else {
      item.done(submit(item.request));
    }
    lock.lock();
  }
}

void DownloadManager::worker_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const std::string id = queue_.front();
    queue_.pop_front();
    auto it = tasks_.find(id);
    if (it == tasks_.end() || it->second->snap.status != DownloadStatus::kQueued)
      continue;  // cancelled
    std::shared_ptr<Task> task = it->second;
    task->snap.status = DownloadStatus::kDownloading;
    task->snap.started_at = unix_now();
    lock.unlock();
    run_task(task);
    lock.lock();
  }
}

void DownloadManager::run_task(const std::shared_ptr<Task>& task) {
  if (on_progress_) {
    DownloadTask snap;
    {
      std::lock_guard lock(mu_);
      snap = task->snap;
    }
    on_progress_(snap);
  }
  FileDownload file;
  file.url = task->spec.url;
  file.dest = task->snap.path;
  file.sha256 = task->spec.sha256;
  file.size = task->spec.size;
  file.what = "file " + task->spec.file + " of " + task->spec.repo;
  auto on_progress = [this, &task](const DownloadProgress& p) {
    DownloadTask snap;
    {
      std::lock_guard lock(mu_);
      DownloadTask& s = task->snap;
      if (is_finished(s.status)) return;  // cancelled meanwhile
      s.downloaded_bytes = p.bytes_done;
      if (p.bytes_total > 0) s.total_bytes = p.bytes_total;
      s.speed_bps = p.speed_bps;
      s.eta_s = p.eta_s;
      s.status = p.phase == DownloadPhase::kVerifying || p.phase == DownloadPhase::kDone
                     ? DownloadStatus::kVerifying
                     : DownloadStatus::kDownloading;
      snap = s;
    }
    if (on_progress_) on_progress_(snap);
  };
  const Status result = download_file(file, options_.downloader, &task->control, on_progress);
  finish_task(task, result);
}

void DownloadManager::finish_task(const std::shared_ptr<Task>& task, const Status& result) {
  DownloadTask snap;
  bool stopping = false;
  bool already_final = false;  // cancelled through cancel(), which reported it
  {
    std::lock_guard lock(mu_);
    DownloadTask& s = task->snap;
    already_final = is_finished(s.status);
    if (result.ok()) {
      s.status = DownloadStatus::kCompleted;
      s.error.clear();
      s.error_code = StatusCode::kOk;
      s.downloaded_bytes = std::max(s.downloaded_bytes, s.total_bytes);
      s.total_bytes = std::max(s.downloaded_bytes, s.total_bytes);
    } else if (result.code() == StatusCode::kCancelled) {
      s.status = DownloadStatus::kCancelled;
    } else {
      s.status = DownloadStatus::kFailed;
      s.error = result.message();
      s.error_code = result.code();
    }
    s.speed_bps = 0;
    s.eta_s = result.ok() ? 0 : -1;
    s.completed_at = unix_now();
    snap = s;
    stopping = stopping_;
    prune_locked();
  }
  if (!result.ok() && result.code() != StatusCode::kCancelled) {
    IMP_LOG(kWarn, "download ", snap.task_id, " of ", snap.model_id,
            " failed: ", result.to_string());
  }
  if (stopping || already_final) return;
  if (on_progress_) on_progress_(snap);
  if (on_complete_) on_complete_(snap);
}

std::optional<DownloadTask> DownloadManager::get(const std::string& task_id) const {
  std::lock_guard lock(mu_);
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second->snap;
}

std::vector<DownloadTask> DownloadManager::list() const {
  std::lock_guard lock(mu_);
  std::vector<DownloadTask> out;
  out.reserve(order_.size());
  for (const auto& id : order_) out.push_back(tasks_.at(id)->snap);
  return out;
}

StatusOr<DownloadTask> DownloadManager::cancel(const std::string& task_id) {
  DownloadTask snap;
  {
    std::lock_guard lock(mu_);
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return not_found("no download task '" + task_id + "'");
    Task& t = *it->second;
    if (is_finished(t.snap.status)) return t.snap;
    const bool was_queued = t.snap.status == DownloadStatus::kQueued;
    t.control.cancel = true;
    t.snap.status = DownloadStatus::kCancelled;
    t.snap.speed_bps = 0;
    t.snap.eta_s = -1;
    t.snap.completed_at = unix_now();
    if (was_queued) ::unlink(partial_path(t.snap.path).c_str());
    snap = t.snap;
  }
  if (on_progress_) on_progress_(snap);
  if (on_complete_) on_complete_(snap);
  return snap;
}

void DownloadManager::prune_locked() {
  size_t n_finished = 0;
  for (const auto& id : order_) n_finished += is_finished(tasks_.at(id)->snap.status) ? 1 : 0;
  for (auto it = order_.begin(); n_finished > options_.max_finished_kept && it != order_.end();) {
    if (is_finished(tasks_.at(*it)->snap.status)) {
      tasks_.erase(*it);
      it = order_.erase(it);
      --n_finished;
    } else {
      ++it;
    }
  }
}

std::string DownloadManager::new_task_id_locked() {
  const uint64_t a = splitmix64(id_state_);
  const uint64_t b = splitmix64(id_state_);
  char buf[40];
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx (RFC 4122 version 4 layout)
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffull));
  return buf;
}

}  // namespace impetus
