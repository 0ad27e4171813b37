#include "sampling/top_k.h"

namespace impetus {

void apply_top_k(Candidates& c, int32_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= c.size()) return;
  sort_prefix(c, static_cast<size_t>(k));
  truncate_candidates(c, static_cast<size_t>(k));
}

}  // namespace impetus
