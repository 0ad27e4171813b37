// Top-p (nucleus): keep the smallest best-first prefix of the candidates
// whose probabilities, softmax of their current logits, add up to at least p.
//
//   apply_top_p(candidates, 0.9f);
//
// It sorts only as far as it needs: a prefix of 64, then doubling, until the
// running sum reaches p, so a peaked distribution costs one pass plus a tiny sort.
#pragma once

#include "sampling/candidates.h"

namespace impetus {

// p >= 1 leaves the candidates untouched; at least one candidate is always kept.
void apply_top_p(Candidates& c, float p);

}  // namespace impetus
