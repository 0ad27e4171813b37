// SamplingParams: the knobs of one request's token sampler, with the defaults
// a request gets when it names none, and the checks that reject nonsense.
//
//   SamplingParams p;            // plain softmax sampling at temperature 1
//   p.temperature = 0.7f;
//   p.top_p = 0.9f;
//   IMP_RETURN_IF_ERROR(p.validate(n_vocab));
//   Sampler sampler(p, n_vocab);
//
// The sampler applies them in llama.cpp's default order: logit bias ->
// penalties (repetition, presence, frequency) -> top-k -> top-p -> min-p ->
// temperature -> draw. A value that turns a step off skips it entirely.
// Engine-level switches (ignore_eos, stop strings, max tokens) live elsewhere.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "core/status.h"

namespace impetus {

struct SamplingParams {
  // Divides the logits before the draw. 1 is the model's own distribution
  // (OpenAI's default); larger flattens, smaller sharpens; <= 0 means greedy
  // (argmax after logit bias and penalties; ties go to the lowest token id).
  // Negative values are rejected by validate(); only exactly 0 means greedy there.
  float temperature = 1.0f;
  // Keep only the k most likely tokens. 0 turns it off.
  int32_t top_k = 0;
  // Keep the smallest set of most likely tokens whose probability adds up to
  // at least top_p (nucleus sampling). Must lie in (0, 1]; 1 turns it off.
  float top_p = 1.0f;
  // Drop tokens whose probability is below min_p times the most likely
  // token's. Must lie in [0, 1]; 0 turns it off.
  float min_p = 0.0f;
  // llama.cpp's repetition penalty, applied once to every distinct token of
  // the penalty window: a positive logit is divided by it, any other logit is
  // multiplied by it. Must be > 0; 1 turns it off; > 1 discourages repeats.
  float repetition_penalty = 1.0f;
  // OpenAI's presence penalty: subtracted once from the logit of every token
  // that occurs in the penalty window. Range [-2, 2]; 0 turns it off.
  float presence_penalty = 0.0f;
  // OpenAI's frequency penalty: subtracted from a token's logit once per
  // occurrence in the penalty window. Range [-2, 2]; 0 turns it off.
  float frequency_penalty = 0.0f;
  // How many of the most recent accepted tokens the three penalties look at.
  // -1 means the whole history; 0 turns all penalties off.
  int32_t penalty_last_n = 64;
  // (token id, bias) pairs added to the raw logits before anything else.
  // Bias in [-100, 100] (OpenAI's range) or -infinity, which bans the token.
  // Each id at most once; ids are checked against the vocabulary by validate(n_vocab).
  std::vector<std::pair<int32_t, float>> logit_bias;
  // Seed of the random draw. The same seed and the same logits in the same
  // order give the same tokens. Unset: seeded from std::random_device (the
  // seed used can be read back from Sampler::seed()).
  std::optional<uint64_t> seed;

  // Checks every field's range (everything that does not need the vocabulary).
  Status validate() const;
  // validate() plus: n_vocab > 0, every logit_bias id in [0, n_vocab), and
  // not every token of the vocabulary banned.
  Status validate(int32_t n_vocab) const;

  // True when sampling reduces to argmax (temperature <= 0).
  bool greedy() const { return temperature <= 0.0f; }
  // True when any of the three penalties would change a logit.
  bool has_penalties() const {
    return penalty_last_n != 0 &&
           (repetition_penalty != 1.0f || presence_penalty != 0.0f || frequency_penalty != 0.0f);
  }
};

}  // namespace impetus
