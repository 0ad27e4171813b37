#include "sampling/min_p.h"

#include <cmath>
#include <limits>

namespace impetus {

void apply_min_p(Candidates& c, float min_p) {
  if (min_p <= 0.0f || c.size() <= 1) return;
  const float max = max_logit(c);
  if (max == -std::numeric_limits<float>::infinity()) return;
  const float threshold = max + std::log(min_p);
  size_t kept = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c.items[i].logit >= threshold) c.items[kept++] = c.items[i];
  }
  // Nothing below the threshold sits ahead of anything above it in a sorted
  // prefix, so the kept part of that prefix is still the sorted prefix.
  const bool removed = kept < c.size();
  if (c.n_sorted > kept) c.n_sorted = kept;
  c.items.resize(kept);
  if (removed) c.id_ordered = false;
}

}  // namespace impetus
