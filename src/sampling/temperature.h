// Temperature: the last processor before the draw. Divides the logits by T,
// so the draw follows softmax(logits / T).
//
//   apply_temperature(candidates, 0.7f);
//
// It first shifts the logits so the largest is 0 (softmax does not change),
// which keeps a tiny T from overflowing a float to infinity.
#pragma once

#include "sampling/candidates.h"

namespace impetus {

// temperature must be > 0 (greedy sampling never gets here); 1 is a no-op.
void apply_temperature(Candidates& c, float temperature);

}  // namespace impetus
