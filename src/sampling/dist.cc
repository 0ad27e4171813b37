#include "sampling/dist.h"

#include "core/check.h"

namespace impetus {

double uniform_unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

int32_t sample_from_candidates(const Candidates& c, std::mt19937_64& rng,
                               std::vector<double>& probs) {
  IMP_CHECK(!c.empty(), "sample_from_candidates with no candidates");
  softmax(c, probs);
  const double u = uniform_unit(rng);  // drawn even when the outcome is certain
  double cumulative = 0.0;
  size_t last_possible = c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    if (probs[i] <= 0.0) continue;
    cumulative += probs[i];
    last_possible = i;
    if (u < cumulative) return c.items[i].id;
  }
  // Rounding left the total a hair below u: the last possible token it is.
  if (last_possible < c.size()) return c.items[last_possible].id;
  return c.items[best_index(c)].id;  // every logit was -inf
}

}  // namespace impetus
