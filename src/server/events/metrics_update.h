// MetricsUpdateBuilder: the data of the metrics_update event (room
// "metrics", every 2 s; docs/events.md): per served model, its engine's
// queue, KV cache and token counters, and token rates over the time since
// the previous build; plus totals. Rates need two builds at least a second
// apart; until then (and for calls closer than that) the last rates are
// repeated. Not thread-safe (publish_periodically serialises its calls).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "server/model_registry.h"

namespace impetus {

class MetricsUpdateBuilder {
 public:
  explicit MetricsUpdateBuilder(const ModelRegistry& models) : models_(models) {}
  nlohmann::json build();

 private:
  struct Previous {
    uint64_t generated = 0;
    uint64_t prompt = 0;
    std::chrono::steady_clock::time_point at;
    double generated_per_s = 0.0;
    double prompt_per_s = 0.0;
  };
  const ModelRegistry& models_;
  std::map<std::string, Previous> previous_;
};

}  // namespace impetus
