// ModelManager's warm-up and load-time measurements: warmup, its cold vs
// warm benchmark (a real reload), and mmap vs full-read loading.
#include <chrono>
#include <filesystem>

#include "app/model_manager.h"
#include "app/page_cache.h"
#include "core/mapped_file.h"

namespace impetus::app {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Reads one byte of every page, so every page is really in memory.
uint64_t touch_pages(const MappedFile& f) {
  uint64_t sum = 0;
  const uint8_t* p = f.data();
  for (size_t i = 0; i < f.size(); i += 4096) sum += p[i];
  return sum;
}

// One way of loading the file, timed from a (possibly) cold page cache.
nlohmann::json time_load(const std::string& path, FileLoadMode mode) {
  const bool dropped = drop_page_cache(path);
  const uint64_t resident_before = page_cache_resident_bytes(path);
  const auto t0 = Clock::now();
  auto f = MappedFile::open(path, mode);
  if (!f.ok()) return {{"error", f.status().message()}};
  const double open_ms = ms_since(t0);
  volatile uint64_t sink = touch_pages(**f);
  (void)sink;
  const double ready_ms = ms_since(t0);
  return {{"open_ms", open_ms}, {"ready_ms", ready_ms}, {"page_cache_dropped", dropped},
          {"resident_before_bytes", resident_before},
          {"read_gbps", ready_ms > 0 ? static_cast<double>((*f)->size()) / ready_ms / 1e6 : 0.0}};
}

}  // namespace

StatusOr<WarmupInfo> ModelManager::warmup(const std::string& id) {
  std::shared_ptr<HostedModel> host;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = loaded_.find(id);
    if (it == loaded_.end()) return not_found("The model '" + id + "' is not loaded");
    host = it->second.host;
    warmups_[id] = WarmupInfo{id, "running", 0, 0, ""};
  }
  auto w = run_warmup(*host->engine, id);
  std::lock_guard<std::mutex> lock(mu_);
  WarmupInfo info = w.ok() ? *w : WarmupInfo{id, "failed", 0, 0, w.status().message()};
  warmups_[id] = info;
  if (auto it = loaded_.find(id); it != loaded_.end()) it->second.warmup = info;
  emit_warmup_complete(id, info);
  if (!w.ok()) return w.status();
  return info;
}

std::vector<WarmupInfo> ModelManager::warmup_status() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<WarmupInfo> out;
  for (const auto& [id, l] : loaded_) {
    auto it = warmups_.find(id);
    out.push_back(it != warmups_.end() ? it->second : WarmupInfo{id, "not_started", 0, 0, ""});
  }
  return out;
}

// Unloads the model, drops its file from the page cache, loads it again and
// times the first request (cold) and the one after (warm).
StatusOr<nlohmann::json> ModelManager::warmup_benchmark(const std::string& id) {
  ModelLoadOptions o;
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = loaded_.find(id);
    if (it == loaded_.end()) return not_found("The model '" + id + "' is not loaded");
    o = it->second.options;
    path = it->second.path;
    unload_locked(id, "reload", "warm-up benchmark");
  }
  const bool dropped = drop_page_cache(path);
  const uint64_t resident = page_cache_resident_bytes(path);
  const auto t0 = Clock::now();
  o.auto_warmup = false;
  IMP_RETURN_IF_ERROR(load(id, o).status());
  const double load_ms = ms_since(t0);
  std::shared_ptr<HostedModel> host;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = loaded_.find(id);
    if (it == loaded_.end()) return unavailable("the model was unloaded during the benchmark");
    host = it->second.host;
  }
  IMP_ASSIGN_OR_RETURN(WarmupInfo cold, run_warmup(*host->engine, id));
  IMP_ASSIGN_OR_RETURN(WarmupInfo warm, run_warmup(*host->engine, id));
  {
    std::lock_guard<std::mutex> lock(mu_);
    warmups_[id] = cold;
    if (auto it = loaded_.find(id); it != loaded_.end()) it->second.warmup = cold;
  }
  return nlohmann::json{{"model_id", id},
                        {"load_ms", load_ms},
                        {"cold_ttft_ms", cold.first_token_ms},
                        {"warm_ttft_ms", warm.first_token_ms},
                        {"cold_total_ms", cold.warmup_ms},
                        {"warm_total_ms", warm.warmup_ms},
                        {"speedup", warm.first_token_ms > 0 ? cold.first_token_ms / warm.first_token_ms : 0.0},
                        {"page_cache_dropped", dropped},
                        {"resident_before_load_bytes", resident}};
}

nlohmann::json ModelManager::mmap_status() {
  std::lock_guard<std::mutex> lock(mu_);
  auto models = nlohmann::json::array();
  for (const auto& [id, l] : loaded_) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(l.path, ec);
    models.push_back({{"model_id", id}, {"use_mmap", l.options.use_mmap},
                      {"file_bytes", ec ? 0 : static_cast<uint64_t>(size)},
                      {"page_cache_resident_bytes", page_cache_resident_bytes(l.path)},
                      {"load_time_ms", l.load_ms}});
  }
  return {{"mmap_default", options_.defaults.use_mmap}, {"models", models}};
}

StatusOr<nlohmann::json> ModelManager::mmap_benchmark(const std::string& id) {
  std::string path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = loaded_.find(id); it != loaded_.end()) path = it->second.path;
  }
  if (path.empty()) {
    IMP_ASSIGN_OR_RETURN(Known k, resolve(id));
    path = k.path;
  }
  nlohmann::json mmap = time_load(path, FileLoadMode::kMmap);
  nlohmann::json read = time_load(path, FileLoadMode::kRead);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  nlohmann::json out = {{"model_id", id}, {"file_bytes", ec ? 0 : static_cast<uint64_t>(size)},
                        {"mmap", mmap}, {"read", read},
                        {"note", "open_ms: until the bytes are addressable; ready_ms: until every page "
                                 "has been read. A model mapped by a running engine stays in the page "
                                 "cache: see page_cache_dropped and resident_before_bytes."}};
  if (mmap.contains("open_ms") && read.contains("open_ms") && mmap["open_ms"].get<double>() > 0) {
    out["open_speedup_mmap"] = read["open_ms"].get<double>() / mmap["open_ms"].get<double>();
  }
  return out;
}

}  // namespace impetus::app
