// Penalties: the second processor of the chain. Lowers the logits of tokens
// that already occur in the recent history (a PenaltyWindow), so that the
// model repeats itself less.
//
//   apply_penalties(candidates, window.counts(), {1.1f, 0.0f, 0.5f});
//
// For each distinct token with count n > 0 in the window, in this order:
//   repetition (llama.cpp): logit = logit > 0 ? logit / r : logit * r
//   presence + frequency (OpenAI): logit -= presence + frequency * n
#pragma once

#include <cstdint>
#include <unordered_map>

#include "sampling/candidates.h"

namespace impetus {

struct PenaltyStrengths {
  float repetition = 1.0f;  // > 0; 1 = off
  float presence = 0.0f;    // 0 = off
  float frequency = 0.0f;   // 0 = off
};

// Applies the penalties to every candidate that occurs in counts (token id ->
// occurrences). O(distinct tokens) on id-ordered candidates, one pass otherwise.
void apply_penalties(Candidates& c, const std::unordered_map<int32_t, int32_t>& counts,
                     const PenaltyStrengths& s);

// The penalized value of one logit for a token seen n times (n > 0).
float penalized_logit(float logit, int32_t n, const PenaltyStrengths& s);

}  // namespace impetus
