#include "app/model_manager.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "backend/cpu/cpu_backend.h"
#include "core/log.h"
#include "engine/load_generator.h"
#include "store/installed_models.h"

namespace impetus::app {
namespace {

using Clock = std::chrono::steady_clock;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

uint64_t default_budget() {
  const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return 8ull << 30;
  return static_cast<uint64_t>(static_cast<double>(pages) * static_cast<double>(page) * 0.9);
}

}  // namespace

StatusOr<WarmupInfo> run_warmup(EngineClient& engine, const std::string& id) {
  // A short prompt (a few-token step, as batched decoding runs) and a longer
  // one (a prompt-sized step: the backends' GEMM paths), each followed by a
  // few one-token decode steps: every kind of step has run once before the
  // first real request.
  const Tokenizer& tok = engine.tokenizer();
  auto short_prompt = tok.encode("Hello, how are you today?", true, false);
  if (short_prompt.empty()) short_prompt.push_back(0);
  std::string text;
  while (text.size() < 2000) text += "The quick brown fox jumps over the lazy dog while the band plays on. ";
  auto long_prompt = tok.encode(text, true, false);
  const size_t n_long = static_cast<size_t>(std::clamp(engine.info().n_ctx - 8, 1, 96));
  if (long_prompt.size() > n_long) long_prompt.resize(n_long);
  IMP_ASSIGN_OR_RETURN(RequestTiming first, run_timed_request(engine, std::move(short_prompt), 4));
  IMP_ASSIGN_OR_RETURN(RequestTiming second, run_timed_request(engine, std::move(long_prompt), 4));
  WarmupInfo w;
  w.id = id;
  w.first_token_ms = first.ttft_ms;
  w.warmup_ms = first.total_ms + second.total_ms;
  w.status = "completed";
  return w;
}

ModelManager::ModelManager(ModelRegistry& registry, ModelManagerOptions options)
    : registry_(registry), options_(std::move(options)) {
  if (options_.memory_budget_bytes == 0) options_.memory_budget_bytes = default_budget();
  // A request naming an installed model that is not loaded loads it.
  registry_.set_loader([this](const std::string& id) -> StatusOr<ServedModel> {
    emit("auto_load_started", {{"model", id}, {"model_id", id}, {"reason", "request"}});
    auto loaded = load(id, ModelLoadOptions{});
    if (!loaded.ok()) {
      emit("auto_load_failed", {{"model", id}, {"model_id", id}, {"error", loaded.status().message()}});
      return loaded.status();
    }
    emit("auto_load_complete",
         {{"model", id}, {"model_id", id}, {"reason", "request"}, {"load_time_ms", load_time_ms(id)}});
    if (auto m = registry_.find(id)) return *m;
    return unavailable("the model '" + id + "' was unloaded again while loading");
  });
}

ModelManager::~ModelManager() {
  registry_.set_loader(nullptr);
  unload_all();
}

void ModelManager::add_path(const std::string& path, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  added_paths_[id.empty() ? model_id_from_path(path) : id] = path;
}

HostOptions ModelManager::defaults() {
  std::lock_guard<std::mutex> lock(mu_);
  return options_.defaults;
}

int ModelManager::set_threads_and_batch(int n_threads, int32_t max_batch_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.defaults.n_threads = n_threads;
  options_.defaults.max_batch_tokens = max_batch_tokens;
  for (auto& [id, l] : loaded_) {
    Engine& engine = *l.host->engine;
    // The CPU backend: the primary one, or the host of a split model (--gpu-layers).
    for (Backend* be : {l.host->backend.get(), l.host->host_backend.get()}) {
      if (auto* cpu = dynamic_cast<CpuBackend*>(be); cpu != nullptr && n_threads > 0) {
        engine.post([cpu, n_threads] { cpu->pool().resize(n_threads); });
      }
    }
    engine.set_max_batch_tokens(max_batch_tokens);
  }
  return static_cast<int>(loaded_.size());
}

void ModelManager::set_event_listener(ModelEventFn fn) {
  std::lock_guard<std::mutex> lock(mu_);
  events_ = std::move(fn);
}

void ModelManager::emit(const std::string& type, const nlohmann::json& data) {
  if (events_) events_(type, data);
}

std::map<std::string, ModelManager::Known> ModelManager::known_models() {
  std::map<std::string, Known> out;
  auto installed = InstalledModels::scan(options_.models_dir, options_.catalog);
  if (installed.ok()) {
    for (const auto& m : installed->models()) out[m.id] = Known{m.path, m.size_bytes, m.quantization};
  }
  for (const auto& [id, path] : added_paths_) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    out[id] = Known{path, ec ? 0 : static_cast<uint64_t>(size), ""};
  }
  return out;
}

StatusOr<ModelManager::Known> ModelManager::resolve(const std::string& id) {
  if (!is_safe_model_id(id)) return invalid_argument("'" + id + "' is not a valid model id");
  auto known = known_models();
  auto it = known.find(id);
  if (it == known.end()) {
    return not_found("The model '" + id + "' does not exist (not loaded and not installed in " +
                     options_.models_dir + ")");
  }
  return it->second;
}

uint64_t ModelManager::used_bytes() const {
  uint64_t used = 0;
  for (const auto& [id, l] : loaded_) used += l.memory_bytes;
  return used;
}

Status ModelManager::make_room(uint64_t needed, const std::string& for_id) {
  auto over = [&] {
    return static_cast<int>(loaded_.size()) + 1 > options_.max_loaded_models ||
           used_bytes() + needed > options_.memory_budget_bytes;
  };
  while (over() && options_.evict_lru && !loaded_.empty()) {
    std::string victim;
    int64_t oldest = INT64_MAX;
    for (const auto& [id, l] : loaded_) {
      const int64_t t = std::max(registry_.last_used(id), l.loaded_at_ms);
      if (t < oldest) oldest = t, victim = id;
    }
    unload_locked(victim, "evicted", "least recently used, to load " + for_id);
  }
  if (static_cast<int>(loaded_.size()) + 1 > options_.max_loaded_models) {
    return resource_exhausted("cannot load '" + for_id + "': " + std::to_string(loaded_.size()) +
                              " models are loaded, the limit (max_loaded_models) is " +
                              std::to_string(options_.max_loaded_models) + "; unload one first");
  }
  if (used_bytes() + needed > options_.memory_budget_bytes) {
    return resource_exhausted("cannot load '" + for_id + "': it needs about " + std::to_string(needed >> 20) +
                              " MiB, " + std::to_string(used_bytes() >> 20) + " MiB of the " +
                              std::to_string(options_.memory_budget_bytes >> 20) +
                              " MiB memory budget are in use");
  }
  return Status();
}

StatusOr<ModelListEntry> ModelManager::load(const std::string& id, const ModelLoadOptions& o) {
  std::unique_lock<std::mutex> lock(mu_);
  if (auto it = loaded_.find(id); it != loaded_.end()) return entry(id, it->second);
  IMP_ASSIGN_OR_RETURN(Known k, resolve(id));
  IMP_RETURN_IF_ERROR(make_room(k.size_bytes, id));
  HostOptions ho = options_.defaults;
  ho.path = k.path;
  ho.id = id;
  ho.use_mmap = o.use_mmap;
  const auto t0 = Clock::now();
  registry_.set_loading(registry_.loading() + 1);
  auto hosted = host_model(ho);
  registry_.set_loading(registry_.loading() - 1);
  if (!hosted.ok()) return hosted.status();
  Loaded l;
  l.host = std::shared_ptr<HostedModel>(std::move(*hosted));
  l.path = k.path;
  l.options = o;
  l.loaded_at = unix_now();
  l.loaded_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  l.load_ms = ms_since(t0);
  const EngineInfo info = l.host->engine->info();
  l.memory_bytes = info.weight_bytes + info.kv_cache_bytes;
  if (used_bytes() + l.memory_bytes > options_.memory_budget_bytes) {
    l.host->engine->shutdown();
    return resource_exhausted("cannot load '" + id + "': it needs " + std::to_string(l.memory_bytes >> 20) +
                              " MiB (weights + KV cache), " + std::to_string(used_bytes() >> 20) + " MiB of the " +
                              std::to_string(options_.memory_budget_bytes >> 20) + " MiB budget are in use");
  }
  auto& slot = loaded_[id] = std::move(l);
  registry_.add(served(id, slot));
  emit("model_loaded", {{"model", id},
                        {"model_id", id},
                        {"load_time_ms", slot.load_ms},
                        {"backend", info.backend},
                        {"memory_bytes", slot.memory_bytes}});
  emit_models_update();
  if (o.auto_warmup) {
    auto w = run_warmup(*slot.host->engine, id);
    slot.warmup = w.ok() ? *w : WarmupInfo{id, "failed", 0, 0, w.status().message()};
    warmups_[id] = slot.warmup;
    emit_warmup_complete(id, slot.warmup);
  }
  return entry(id, slot);
}

void ModelManager::unload_locked(const std::string& id, const std::string& reason, const std::string& detail) {
  auto it = loaded_.find(id);
  if (it == loaded_.end()) return;
  registry_.remove(id);
  // Stops the engine thread (in-flight requests end as cancelled); the
  // model itself goes once the last request holding it lets go.
  it->second.host->engine->shutdown();
  loaded_.erase(it);
  IMP_LOG(kInfo, "unloaded '", id, "': ", reason, detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")");
  nlohmann::json data = {{"model", id}, {"model_id", id}, {"reason", reason}};
  if (!detail.empty()) data["detail"] = detail;
  emit("model_unloaded", data);
  emit_models_update();
}

Status ModelManager::unload(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (loaded_.count(id) == 0) return not_found("The model '" + id + "' is not loaded");
  unload_locked(id, "manual");
  return Status();
}

void ModelManager::unload_all() {
  std::lock_guard<std::mutex> lock(mu_);
  while (!loaded_.empty()) unload_locked(loaded_.begin()->first, "shutdown");
}

ServedModel ModelManager::served(const std::string& id, const Loaded& l) const {
  ServedModel m = l.host->served();
  m.id = id;
  m.engine = std::shared_ptr<EngineClient>(l.host, l.host->engine.get());  // owns the whole model
  m.path = l.path;
  m.memory_bytes = l.memory_bytes;
  return m;
}

ModelListEntry ModelManager::entry(const std::string& id, const Loaded& l) const {
  ModelListEntry e;
  e.id = id;
  e.path = l.path;
  std::error_code ec;
  const auto size = std::filesystem::file_size(l.path, ec);
  e.size_bytes = ec ? 0 : static_cast<uint64_t>(size);
  e.status = "loaded";
  e.memory_bytes = l.memory_bytes;
  e.use_mmap = l.options.use_mmap;
  e.warmed_up = l.warmup.status == "completed";
  e.loaded_at = l.loaded_at;
  e.last_used = std::max(registry_.last_used(id), l.loaded_at_ms) / 1000;
  return e;
}

std::vector<ModelListEntry> ModelManager::list() {
  std::lock_guard<std::mutex> lock(mu_);
  return list_locked();
}

double ModelManager::load_time_ms(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = loaded_.find(id);
  return it == loaded_.end() ? 0.0 : it->second.load_ms;
}

void ModelManager::emit_warmup_complete(const std::string& id, const WarmupInfo& w) {
  nlohmann::json data = {{"model", id},  {"model_id", id}, {"status", w.status}, {"warmup_ms", w.warmup_ms},
                         {"warmup_time_ms", w.warmup_ms}};
  if (!w.error.empty()) data["error"] = w.error;
  emit("warmup_complete", data);
}

void ModelManager::emit_models_update() {
  if (!events_) return;
  nlohmann::json models = nlohmann::json::array();
  for (const auto& e : list_locked()) {
    nlohmann::json m = {{"id", e.id}, {"status", e.status}};
    if (e.status == "loaded") m["memory_bytes"] = e.memory_bytes;
    models.push_back(std::move(m));
  }
  emit("models_update", {{"models", std::move(models)}});
}

std::vector<ModelListEntry> ModelManager::list_locked() {
  std::vector<ModelListEntry> out;
  for (const auto& [id, k] : known_models()) {
    if (auto it = loaded_.find(id); it != loaded_.end()) {
      out.push_back(entry(id, it->second));
      out.back().quantization = k.quantization;
      continue;
    }
    ModelListEntry e;
    e.id = id;
    e.path = k.path;
    e.size_bytes = k.size_bytes;
    e.quantization = k.quantization;
    e.status = "available";
    out.push_back(e);
  }
  return out;
}

nlohmann::json ModelManager::limits() {
  std::lock_guard<std::mutex> lock(mu_);
  return {{"memory_budget_bytes", options_.memory_budget_bytes}, {"memory_used_bytes", used_bytes()},
          {"max_loaded_models", options_.max_loaded_models}, {"evict_lru", options_.evict_lru},
          {"models_dir", options_.models_dir}};
}

}  // namespace impetus::app
