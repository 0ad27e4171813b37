// Min-p: drop the candidates whose probability is below min_p times that of
// the most likely one. Works on logits directly (p_i >= min_p * p_max is
// logit_i >= max_logit + log(min_p)), so it needs no softmax and no sort.
//
//   apply_min_p(candidates, 0.05f);
#pragma once

#include "sampling/candidates.h"

namespace impetus {

// min_p <= 0 leaves the candidates untouched; the best candidate always stays.
// The kept candidates keep their relative order.
void apply_min_p(Candidates& c, float min_p);

}  // namespace impetus
