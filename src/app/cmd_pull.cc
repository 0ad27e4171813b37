// `impetus pull`, `impetus list`, `impetus rm` (see cmd_pull.h).
#include "app/cmd_pull.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/loaded_model.h"
#include "app/version.h"
#include "store/download_manager.h"
#include "store/installed_models.h"
#include "store/store_paths.h"

namespace impetus::app {
namespace {

struct PullArgs {
  std::string model;
  std::string quant;
  std::string models_dir;
  bool quiet = false;
};

std::string clock_text(double seconds) {
  if (seconds < 0) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string size_text(double bytes) {
  char buf[32];
  if (bytes >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1f KB", bytes / 1e3);
  return buf;
}

// Progress on stderr: a redrawn bar on a terminal, else a line per 10%.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet) : tty_(::isatty(STDERR_FILENO) == 1), quiet_(quiet) {}

  void update(const DownloadTask& t) {
    if (quiet_) return;
    if (t.status == DownloadStatus::kDownloading || t.status == DownloadStatus::kVerifying) {
      if (!announced_) {
        std::fprintf(stderr, "pulling %s (%s) -> %s\n", t.file.c_str(),
                     size_text(static_cast<double>(t.total_bytes)).c_str(), t.path.c_str());
        announced_ = true;
      }
      tty_ ? draw_bar(t) : print_line(t);
    } else if (is_finished(t.status) && tty_ && drawn_) {
      DownloadTask last = t;
      last.speed_bps = last_speed_;  // a finished task reports 0
      draw_bar(last);
      std::fputc('\n', stderr);
    }
  }

 private:
  void draw_bar(const DownloadTask& t) {
    constexpr int kWidth = 30;
    const double pct = t.progress_percent();
    const int filled = static_cast<int>(pct / 100.0 * kWidth);
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    const char* what = t.status == DownloadStatus::kVerifying ? " verifying" : "";
    std::fprintf(stderr, "\r%5.1f%% [%s] %s / %s  %.1f MB/s  ETA %s%s\x1b[K", pct, bar.c_str(),
                 size_text(static_cast<double>(t.downloaded_bytes)).c_str(),
                 size_text(static_cast<double>(t.total_bytes)).c_str(), t.speed_bps / 1e6,
                 clock_text(t.eta_s).c_str(), what);
    std::fflush(stderr);
    drawn_ = true;
    last_speed_ = t.speed_bps;
  }
  void print_line(const DownloadTask& t) {
    const int step = static_cast<int>(t.progress_percent() / 10.0);
    if (step <= last_step_ && t.status != DownloadStatus::kVerifying) return;
    if (t.status == DownloadStatus::kVerifying && verifying_shown_) return;
    last_step_ = step;
    verifying_shown_ = t.status == DownloadStatus::kVerifying;
    std::fprintf(stderr, "%s %3.0f%%  %s / %s  %.1f MB/s  ETA %s\n",
                 verifying_shown_ ? "verifying  " : "downloading", t.progress_percent(),
                 size_text(static_cast<double>(t.downloaded_bytes)).c_str(),
                 size_text(static_cast<double>(t.total_bytes)).c_str(), t.speed_bps / 1e6,
                 clock_text(t.eta_s).c_str());
  }

  const bool tty_;
  const bool quiet_;
  bool announced_ = false;
  bool drawn_ = false;
  bool verifying_shown_ = false;
  int last_step_ = -1;
  double last_speed_ = 0;
};

int run_pull(const PullArgs& a) {
  HubOptions hub_options = HubOptions::from_env();
  hub_options.http.user_agent = std::string("impetus/") + kVersion;
  auto hub = std::make_shared<HfClient>(hub_options);
  DownloadManagerOptions o;
  o.models_dir = a.models_dir.empty()
                     ? models_dir()
                     : std::filesystem::absolute(a.models_dir).lexically_normal().string();
  o.max_concurrent = 1;
  o.downloader.http = hub_options.http;
  DownloadManager dm(o, make_hub_resolver(hub));
  ProgressPrinter printer(a.quiet);
  std::mutex mu;
  std::condition_variable cv;
  std::optional<DownloadTask> final_task;
  dm.set_on_progress([&](const DownloadTask& t) {
    std::lock_guard lock(mu);
    printer.update(t);
    if (is_finished(t.status)) {
      final_task = t;
      cv.notify_all();
    }
  });
  auto task = dm.submit({a.model, a.quant, false});
  if (!task.ok()) return report_error(task.status());
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return final_task.has_value(); });
  if (final_task->status != DownloadStatus::kCompleted) {
    return report_error(Status(
        final_task->error_code == StatusCode::kOk ? StatusCode::kInternal : final_task->error_code,
        final_task->error.empty()
            ? "download " + std::string(download_status_name(final_task->status))
            : final_task->error));
  }
  if (!a.quiet && task->status == DownloadStatus::kCompleted) {
    std::fprintf(stderr, "already downloaded\n");
  }
  std::printf("%s\n", final_task->path.c_str());
  return 0;
}

int run_list(const std::string& dir_flag, bool json) {
  const std::string dir = dir_flag.empty() ? models_dir() : dir_flag;
  auto installed = InstalledModels::scan(dir);
  if (!installed.ok()) return report_error(installed.status());
  if (json) {
    auto out = nlohmann::json::array();
    for (const auto& m : installed->models()) {
      out.push_back({{"id", m.id},
                     {"path", m.path},
                     {"size_bytes", m.size_bytes},
                     {"quantization", m.quantization}});
    }
    std::puts(out.dump(2).c_str());
    return 0;
  }
  if (installed->models().empty()) {
    std::printf("no models in %s (try: impetus pull owner/name:Q4_K_M)\n", dir.c_str());
    return 0;
  }
  std::printf("%-40s %10s  %-8s  %s\n", "ID", "SIZE", "QUANT", "PATH");
  for (const auto& m : installed->models()) {
    std::printf("%-40s %10s  %-8s  %s\n", m.id.c_str(),
                size_text(static_cast<double>(m.size_bytes)).c_str(),
                m.quantization.empty() ? "-" : m.quantization.c_str(), m.path.c_str());
  }
  return 0;
}

int run_rm(const std::string& model, const std::string& dir_flag) {
  const std::string dir = dir_flag.empty() ? models_dir() : dir_flag;
  auto installed = InstalledModels::scan(dir);
  if (!installed.ok()) return report_error(installed.status());
  const InstalledModel* m = installed->find(model);
  if (m == nullptr)
    return report_error(
        not_found("no installed model '" + model + "' in " + dir + " (see impetus list)"));
  const std::string path = m->path;
  if (Status st = installed->remove(model); !st.ok()) return report_error(st);
  std::printf("removed %s\n", path.c_str());
  return 0;
}

}  // namespace

void register_pull(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<PullArgs>();
  auto* cmd = app.add_subcommand("pull", "Download a GGUF model from the Hugging Face Hub");
  cmd->add_option("model", args->model, "owner/name:QUANT, owner/name/file.gguf or owner/name")
      ->required();
  cmd->add_option("-q,--quant", args->quant, "quantization to pick (Q4_K_M, Q8_0, ...)");
  cmd->add_option("--models-dir", args->models_dir,
                  "where models go (default $IMPETUS_MODELS or ~/.impetus/models)");
  cmd->add_flag("--quiet", args->quiet, "no progress output");
  cmd->callback([args, exit_code] { *exit_code = run_pull(*args); });
}

void register_list(CLI::App& app, int* exit_code) {
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("list", "List the models on this machine");
  cmd->add_option("--models-dir", *dir,
                  "the models directory (default $IMPETUS_MODELS or ~/.impetus/models)");
  cmd->add_flag("--json", *json, "print JSON");
  cmd->callback([dir, json, exit_code] { *exit_code = run_list(*dir, *json); });
}

void register_rm(CLI::App& app, int* exit_code) {
  auto model = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("rm", "Delete a downloaded model");
  cmd->add_option("model", *model, "the model's id or file name (see impetus list)")->required();
  cmd->add_option("--models-dir", *dir,
                  "the models directory (default $IMPETUS_MODELS or ~/.impetus/models)");
  cmd->callback([model, dir, exit_code] { *exit_code = run_rm(*model, *dir); });
}

}  // namespace impetus::app
