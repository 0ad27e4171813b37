// ModelRegistry: the models a server answers for, by id. Each entry reaches
// its engine only through EngineClient and carries the chat template used to
// turn messages into a prompt. Entries hold their engine by shared_ptr, so a
// model unloaded while a request still uses it lives until that request ends.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine_client.h"
#include "tokenizer/chat_template/chat_template.h"

namespace impetus {

struct ServedModel {
  std::string id;                          // what clients put in "model"
  std::shared_ptr<EngineClient> engine;    // keeps the whole loaded model alive
  std::shared_ptr<const ChatTemplate> chat_template;  // the model's, the override, or the default
  std::string chat_template_source;        // "model", "file", "default"
  int64_t created = 0;                     // unix time the model was loaded
  std::string path;                        // the GGUF file
  uint64_t memory_bytes = 0;               // weights + KV cache
};

// Loads an installed model that is not loaded yet (Ollama-style on-demand
// loading); NOT_FOUND when no such model is installed.
using ModelLoaderFn = std::function<StatusOr<ServedModel>(const std::string& id)>;

class ModelRegistry {
 public:
  void add(ServedModel model);
  bool remove(const std::string& id);
  // Also records the time, for last_used().
  std::optional<ServedModel> find(const std::string& id) const;
  // Unix milliseconds of the last find() of `id` (0: never).
  int64_t last_used(const std::string& id) const;
  std::vector<ServedModel> list() const;

  // With a loader set, find_or_load() loads unknown ids through it.
  void set_loader(ModelLoaderFn loader);
  StatusOr<ServedModel> find_or_load(const std::string& id);

  // Models still loading (the server is up but not ready while > 0).
  void set_loading(int n);
  int loading() const;
  bool ready() const { return loading() == 0 && !list().empty(); }

  // Called (outside the lock) after every add or remove: (id, loaded?).
  void set_listener(std::function<void(const std::string&, bool)> listener);

 private:
  mutable std::mutex mu_;
  std::vector<ServedModel> models_;
  mutable std::map<std::string, int64_t> last_used_;
  ModelLoaderFn loader_;
  std::function<void(const std::string&, bool)> listener_;
  int loading_ = 0;
};

}  // namespace impetus
