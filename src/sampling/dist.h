// Dist: the final step of the chain. Draws one candidate at random with
// probability softmax(logits) over what the processors left.
//
//   std::mt19937_64 rng(seed);
//   int32_t token = sample_from_candidates(candidates, rng);
//
// The draw uses one 64-bit output of the generator per token, turned into a
// uniform double in [0, 1) by hand (not std::uniform_real_distribution, whose
// output differs between standard libraries), so a seed means the same
// tokens on every platform.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "sampling/candidates.h"

namespace impetus {

// A uniform double in [0, 1) from the top 53 bits of one generator output.
double uniform_unit(std::mt19937_64& rng);

// Draws a token id. Candidates with probability 0 (logit -inf) are never
// drawn; if every logit is -inf the best-ranked (lowest id) candidate is
// returned. probs is scratch space, reused between calls. c must not be empty.
int32_t sample_from_candidates(const Candidates& c, std::mt19937_64& rng,
                               std::vector<double>& probs);

}  // namespace impetus
