// Top-k: keep only the k best candidates (a partial sort, not a full one).
//
//   apply_top_k(candidates, 40);  // afterwards: at most 40 items, best first
#pragma once

#include <cstdint>

#include "sampling/candidates.h"

namespace impetus {

// k <= 0 or k >= size leaves the candidates untouched. Ties at the cut go to
// the lower token id.
void apply_top_k(Candidates& c, int32_t k);

}  // namespace impetus
