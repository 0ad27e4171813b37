#include "sampling/logit_bias.h"

#include <unordered_map>

namespace impetus {

void apply_logit_bias(Candidates& c, std::span<const std::pair<int32_t, float>> bias) {
  if (bias.empty() || c.empty()) return;
  if (c.id_ordered) {
    for (const auto& [id, value] : bias) {
      if (id >= 0 && static_cast<size_t>(id) < c.size())
        c.items[static_cast<size_t>(id)].logit += value;
    }
  } else {
    std::unordered_map<int32_t, float> by_id;
    for (const auto& [id, value] : bias) by_id[id] += value;
    for (TokenCandidate& t : c.items) {
      if (auto it = by_id.find(t.id); it != by_id.end()) t.logit += it->second;
    }
  }
  c.n_sorted = 0;  // the ranking may have changed
}

}  // namespace impetus
