#include "sampling/penalties.h"

namespace impetus {

float penalized_logit(float logit, int32_t n, const PenaltyStrengths& s) {
  if (n <= 0) return logit;
  logit = logit > 0.0f ? logit / s.repetition : logit * s.repetition;
  return logit - (s.presence + s.frequency * static_cast<float>(n));
}

void apply_penalties(Candidates& c, const std::unordered_map<int32_t, int32_t>& counts,
                     const PenaltyStrengths& s) {
  if (counts.empty() || c.empty()) return;
  if (s.repetition == 1.0f && s.presence == 0.0f && s.frequency == 0.0f) return;
  if (c.id_ordered) {
    for (const auto& [id, n] : counts) {
      if (id < 0 || static_cast<size_t>(id) >= c.size()) continue;
      float& logit = c.items[static_cast<size_t>(id)].logit;
      logit = penalized_logit(logit, n, s);
    }
  } else {
    for (TokenCandidate& t : c.items) {
      if (auto it = counts.find(t.id); it != counts.end()) {
        t.logit = penalized_logit(t.logit, it->second, s);
      }
    }
  }
  c.n_sorted = 0;  // the ranking may have changed
}

}  // namespace impetus
