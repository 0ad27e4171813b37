// ModelManager: the models `impetus serve` has loaded and can load. It
// resolves ids through the installed-model registry (~/.impetus/models and
// the files given with --model), loads them within a memory budget and a
// loaded-model limit (unloading the least recently used ones first when
// allowed, else refusing with RESOURCE_EXHAUSTED), warms them up, and keeps
// the ModelRegistry the HTTP routes read in step. It is the ModelControl the
// model-management routes use, and the registry's on-demand loader.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/model_host.h"
#include "server/model_control.h"
#include "server/model_registry.h"
#include "store/catalog.h"

namespace impetus::app {

struct ModelManagerOptions {
  HostOptions defaults;              // threads, context, batching, KV for every model
  uint64_t memory_budget_bytes = 0;  // weights + KV of all loaded models; 0 = 90% of available RAM
  int max_loaded_models = 4;
  bool evict_lru = true;             // make room by unloading least recently used models
  std::string models_dir;            // installed models
  const Catalog* catalog = nullptr;  // maps catalog files to catalog ids (may be null)
};

// Events for the WebSocket (model_loaded, model_unloaded with a reason, warmup_complete).
using ModelEventFn = std::function<void(const std::string& type, const nlohmann::json& data)>;

class ModelManager final : public ModelControl {
 public:
  ModelManager(ModelRegistry& registry, ModelManagerOptions options);
  ~ModelManager() override;

  // A local file named on the command line: loadable by `id` from then on.
  void add_path(const std::string& path, const std::string& id);
  void set_event_listener(ModelEventFn fn);
  // Unloads everything (at shutdown).
  void unload_all();
  HostOptions defaults();
  // CPU threads and tokens per step (performance modes): for the models
  // loaded from now on, and for the loaded ones from their next forward step
  // (their CPU thread pools are resized on their engine threads). Returns how
  // many loaded models were changed.
  int set_threads_and_batch(int n_threads, int32_t max_batch_tokens);

  std::vector<ModelListEntry> list() override;
  double load_time_ms(const std::string& id);  // of the loaded model `id`, 0 when not loaded
  StatusOr<ModelListEntry> load(const std::string& id, const ModelLoadOptions& options) override;
  Status unload(const std::string& id) override;
  StatusOr<WarmupInfo> warmup(const std::string& id) override;
  std::vector<WarmupInfo> warmup_status() override;
  StatusOr<nlohmann::json> warmup_benchmark(const std::string& id) override;
  nlohmann::json mmap_status() override;
  StatusOr<nlohmann::json> mmap_benchmark(const std::string& id) override;
  nlohmann::json limits() override;

 private:
  struct Loaded {
    std::shared_ptr<HostedModel> host;
    std::string path;
    ModelLoadOptions options;
    uint64_t memory_bytes = 0;
    int64_t loaded_at = 0;     // unix seconds
    int64_t loaded_at_ms = 0;  // unix milliseconds (LRU order)
    double load_ms = 0;
    WarmupInfo warmup;
  };
  struct Known {
    std::string path;
    uint64_t size_bytes = 0;
    std::string quantization;
  };

  std::map<std::string, Known> known_models();  // installed + added paths, by id
  StatusOr<Known> resolve(const std::string& id);
  Status make_room(uint64_t needed, const std::string& for_id);  // mu_ held
  // mu_ held. reason: "manual", "evicted", "shutdown" or "reload" (docs/events.md).
  void unload_locked(const std::string& id, const std::string& reason, const std::string& detail = "");
  std::vector<ModelListEntry> list_locked();  // mu_ held
  void emit_models_update();                  // mu_ held: the whole list as `models_update`
  void emit_warmup_complete(const std::string& id, const WarmupInfo& w);
  ServedModel served(const std::string& id, const Loaded& l) const;
  ModelListEntry entry(const std::string& id, const Loaded& l) const;
  uint64_t used_bytes() const;  // mu_ held
  void emit(const std::string& type, const nlohmann::json& data);

  ModelRegistry& registry_;
  ModelManagerOptions options_;
  std::mutex mu_;  // loads, unloads and the maps below
  std::map<std::string, Loaded> loaded_;
  std::map<std::string, std::string> added_paths_;  // id -> path (command line)
  std::map<std::string, int64_t> last_used_;
  std::map<std::string, WarmupInfo> warmups_;
  ModelEventFn events_;
};

// Warm-up: a short and a ~96-token prompt, each with a few generated tokens,
// so every kind of forward step has run once; the first one's time to first
// token and the total time.
StatusOr<WarmupInfo> run_warmup(EngineClient& engine, const std::string& id);

}  // namespace impetus::app
