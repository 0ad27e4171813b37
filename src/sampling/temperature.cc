#include "sampling/temperature.h"

#include <limits>

#include "core/check.h"

namespace impetus {

void apply_temperature(Candidates& c, float temperature) {
  IMP_CHECK(temperature > 0.0f, "apply_temperature needs T > 0, got ", temperature);
  if (temperature == 1.0f || c.empty()) return;
  const float max = max_logit(c);
  if (max == -std::numeric_limits<float>::infinity()) return;
  for (TokenCandidate& t : c.items) t.logit = (t.logit - max) / temperature;
  // The shift and division keep the order but their rounding can merge two
  // logits into a tie that the lower id would win, so drop the sorted claim.
  c.n_sorted = 0;
}

}  // namespace impetus
