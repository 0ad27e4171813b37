// Sampler: turns one row of logits into the next token for one sequence,
// following its SamplingParams, and remembers the accepted tokens that the
// penalties look at.
//
//   IMP_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(params, n_vocab));
//   for (int32_t t : prompt) sampler.accept(t);  // if the prompt should count
//   int32_t token = sampler.sample(logits);       // logits: (n_vocab)
//   sampler.accept(token);
//
// The chain, in llama.cpp's default order: logit bias -> penalties
// (repetition, presence, frequency over the last penalty_last_n accepted
// tokens) -> top-k -> top-p -> min-p -> temperature -> random draw. Greedy
// (temperature <= 0) stops after the penalties and takes the argmax, ties to
// the lowest id. sample() does not accept the token itself: the caller
// decides what enters the history (the prompt, sampled tokens, or both).
//
// Deterministic: a std::mt19937_64 seeded from params.seed (or from
// std::random_device when unset) and one draw per non-greedy token, so the
// same seed and the same logits give the same tokens. Not thread-safe: one
// Sampler per sequence.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "core/status.h"
#include "sampling/candidates.h"
#include "sampling/logprobs.h"
#include "sampling/penalty_window.h"
#include "sampling/sampling_params.h"

namespace impetus {

struct SampleResult {
  int32_t token = -1;
  // The model's log-probability of token (raw log_softmax, see logprobs.h).
  float logprob = 0.0f;
  // The n_top most likely tokens under the same raw distribution, most likely
  // first; may or may not contain token.
  std::vector<TokenLogprob> top;
};

class Sampler {
 public:
  // params must pass params.validate(n_vocab) (checked: a crash otherwise);
  // use create() for params that come from a request.
  explicit Sampler(const SamplingParams& params, int32_t n_vocab);
  // Validates params against n_vocab, then builds the sampler.
  static StatusOr<Sampler> create(const SamplingParams& params, int32_t n_vocab);

  // Picks the next token from logits, which holds n_vocab floats.
  int32_t sample(const float* logits);
  // True when the pick is the plain argmax of the logits (greedy, no bias,
  // no penalties): callers may then take the argmax without the logits
  // (a backend's argmax_rows, core/argmax.h rules).
  bool plain_greedy() const {
    return params_.greedy() && params_.logit_bias.empty() && !params_.has_penalties();
  }
  // sample() plus the model's log-probabilities of the pick and of the n_top
  // most likely tokens (n_top <= 0: none), for the API's logprobs fields.
  SampleResult sample_with_logprobs(const float* logits, int32_t n_top);

  // Adds a token, in [0, n_vocab), to the history the penalties look at.
  void accept(int32_t token);
  // Forgets the history and restarts the random generator from seed(), so
  // the same logits give the same tokens again.
  void reset();

  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }
  // The seed in use: params.seed, or the one drawn from std::random_device.
  uint64_t seed() const { return seed_; }

 private:
  // Runs the chain on cands_ (already filled) and returns the token.
  int32_t run_chain();

  SamplingParams params_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  PenaltyWindow window_;
  Candidates cands_;           // scratch, reused between calls
  std::vector<double> probs_;  // scratch for the draw
};

}  // namespace impetus
