#include "server/model_registry.h"

#include <algorithm>
#include <chrono>

namespace impetus {

void ModelRegistry::add(ServedModel model) {
  std::function<void(const std::string&, bool)> listener;
  const std::string id = model.id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    listener = listener_;
    bool replaced = false;
    for (auto& m : models_) {
      if (m.id == model.id) {
        m = std::move(model);
        replaced = true;
        break;
      }
    }
    if (!replaced) models_.push_back(std::move(model));
  }
  if (listener) listener(id, true);
}

bool ModelRegistry::remove(const std::string& id) {
  std::function<void(const std::string&, bool)> listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = std::find_if(models_.begin(), models_.end(), [&](const ServedModel& m) { return m.id == id; });
    if (it == models_.end()) return false;
    models_.erase(it);
    listener = listener_;
  }
  if (listener) listener(id, false);
  return true;
}

std::optional<ServedModel> ModelRegistry::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& m : models_) {
    if (m.id == id) {
      last_used_[id] = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      return m;
    }
  }
  return std::nullopt;
}

int64_t ModelRegistry::last_used(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_used_.find(id);
  return it == last_used_.end() ? 0 : it->second;
}

std::vector<ServedModel> ModelRegistry::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  return models_;
}

void ModelRegistry::set_loader(ModelLoaderFn loader) {
  std::lock_guard<std::mutex> lock(mu_);
  loader_ = std::move(loader);
}

StatusOr<ServedModel> ModelRegistry::find_or_load(const std::string& id) {
  if (auto m = find(id)) return *m;
  ModelLoaderFn loader;
  {
    std::lock_guard<std::mutex> lock(mu_);
    loader = loader_;
  }
  if (!loader) return not_found("The model '" + id + "' does not exist");
  return loader(id);
}

void ModelRegistry::set_loading(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  loading_ = n;
}

int ModelRegistry::loading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loading_;
}

void ModelRegistry::set_listener(std::function<void(const std::string&, bool)> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
}

}  // namespace impetus
