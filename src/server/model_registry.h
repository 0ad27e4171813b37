// ModelRegistry: the models a server answers for, by id. Each entry reaches
// its engine only through EngineClient and carries the chat template used to
// turn messages into a prompt. Thread-safe.
#pragma once

#include <cstdint>
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
  EngineClient* engine = nullptr;          // owned elsewhere; outlives the registry entry
  std::shared_ptr<const ChatTemplate> chat_template;  // the model's, the override, or the default
  std::string chat_template_source;        // "model", "file", "default"
  int64_t created = 0;                     // unix time the model was loaded
};

class ModelRegistry {
 public:
  void add(ServedModel model);
  std::optional<ServedModel> find(const std::string& id) const;
  std::vector<ServedModel> list() const;

  // Models still loading (the server is up but not ready while > 0).
  void set_loading(int n);
  int loading() const;
  bool ready() const { return loading() == 0 && !list().empty(); }

 private:
  mutable std::mutex mu_;
  std::vector<ServedModel> models_;
  int loading_ = 0;
};

}  // namespace impetus
