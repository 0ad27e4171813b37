#include "sampling/top_p.h"

#include <cmath>
#include <limits>

namespace impetus {

void apply_top_p(Candidates& c, float p) {
  if (p >= 1.0f || c.size() <= 1) return;
  const float max = max_logit(c);
  if (max == -std::numeric_limits<float>::infinity()) return;  // nothing to rank
  double sum = 0.0;
  for (const TokenCandidate& t : c.items) sum += std::exp(t.logit - max);
  const double target = static_cast<double>(p) * sum;  // compare unnormalized sums

  double cumulative = 0.0;
  size_t i = 0;
  size_t chunk = 64;
  while (i < c.size()) {
    sort_prefix(c, i + chunk);
    for (; i < c.n_sorted; ++i) {
      cumulative += std::exp(c.items[i].logit - max);
      if (cumulative >= target) {
        truncate_candidates(c, i + 1);
        return;
      }
    }
    chunk *= 2;
  }
  // Rounding kept the sum just below p * total: everything stays.
}

}  // namespace impetus
