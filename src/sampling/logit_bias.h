// Logit bias: the first processor of the chain. Adds a fixed amount to the
// logits of chosen tokens; -infinity bans a token outright.
//
//   apply_logit_bias(candidates, params.logit_bias);
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "sampling/candidates.h"

namespace impetus {

// Adds bias to the logit of each named token that is among the candidates
// (ids that are not are ignored). O(number of biases) on id-ordered
// candidates, one pass over the candidates otherwise.
void apply_logit_bias(Candidates& c, std::span<const std::pair<int32_t, float>> bias);

}  // namespace impetus
