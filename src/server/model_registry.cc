#include "server/model_registry.h"

namespace impetus {

void ModelRegistry::add(ServedModel model) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& m : models_) {
    if (m.id == model.id) {
      m = std::move(model);
      return;
    }
  }
  models_.push_back(std::move(model));
}

std::optional<ServedModel> ModelRegistry::find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& m : models_) {
    if (m.id == id) return m;
  }
  return std::nullopt;
}

std::vector<ServedModel> ModelRegistry::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  return models_;
}

void ModelRegistry::set_loading(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  loading_ = n;
}

int ModelRegistry::loading() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loading_;
}

}  // namespace impetus
