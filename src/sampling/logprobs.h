// Log-probabilities for the `logprobs` / `top_logprobs` outputs of the API.
//
//   float lse = log_sum_exp(logits, n_vocab);
//   float lp = token_logprob(logits, token, lse);      // log p(token)
//   std::vector<TokenLogprob> top = top_logprobs(logits, n_vocab, 5, lse);
//
// These are the model's own log-probabilities: log_softmax of the raw logits
// over the whole vocabulary, before logit bias, penalties, truncation and
// temperature (OpenAI documents logprobs as the model's log probability of
// each output token). They say how likely the model found a token, not how
// likely this sampler was to pick it: a greedy pick may show -1.2. As in the
// sampler, NaN logits count as -inf and +inf as the largest float; a token
// with logit -inf has logprob -inf, which a JSON writer has to handle.
#pragma once

#include <cstdint>
#include <vector>

namespace impetus {

struct TokenLogprob {
  int32_t token;
  float logprob;
};

// log(sum_i exp(logits[i])) over the whole vocabulary, accumulated in double.
// -inf when every logit is -inf or NaN.
float log_sum_exp(const float* logits, int32_t n_vocab);

// log p(token) = logits[token] - lse, with the NaN / +inf rules above.
float token_logprob(const float* logits, int32_t token, float lse);

// The n_top most likely tokens (fewer if the vocabulary is smaller; none for
// n_top <= 0), most likely first, ties to the lower id, with logits[i] - lse.
std::vector<TokenLogprob> top_logprobs(const float* logits, int32_t n_vocab, int32_t n_top,
                                       float lse);

}  // namespace impetus
