#include "sampling/sampler.h"

#include "core/argmax.h"
#include "core/check.h"
#include "sampling/dist.h"
#include "sampling/logit_bias.h"
#include "sampling/min_p.h"
#include "sampling/penalties.h"
#include "sampling/temperature.h"
#include "sampling/top_k.h"
#include "sampling/top_p.h"

namespace impetus {
namespace {

uint64_t pick_seed(const SamplingParams& params) {
  if (params.seed) return *params.seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ static_cast<uint64_t>(rd());
}

const SamplingParams& checked(const SamplingParams& params, int32_t n_vocab) {
  const Status status = params.validate(n_vocab);
  IMP_CHECK(status.ok(), "Sampler built from invalid params: ", status.to_string());
  return params;
}

}  // namespace

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(checked(params, n_vocab)),
      n_vocab_(n_vocab),
      seed_(pick_seed(params)),
      rng_(seed_),
      window_(params.penalty_last_n) {}

StatusOr<Sampler> Sampler::create(const SamplingParams& params, int32_t n_vocab) {
  IMP_RETURN_IF_ERROR(params.validate(n_vocab));
  return Sampler(params, n_vocab);
}

int32_t Sampler::sample(const float* logits) {
  // Plain greedy decoding (no bias, no penalties) needs no candidate list:
  // one pass over the logits instead of three.
  if (plain_greedy()) return argmax_row(logits, n_vocab_);
  fill_candidates(cands_, logits, n_vocab_);
  return run_chain();
}

int32_t Sampler::run_chain() {
  apply_logit_bias(cands_, params_.logit_bias);
  if (params_.has_penalties()) {
    apply_penalties(
        cands_, window_.counts(),
        {params_.repetition_penalty, params_.presence_penalty, params_.frequency_penalty});
  }
  if (params_.greedy()) return cands_.items[best_index(cands_)].id;
  apply_top_k(cands_, params_.top_k);
  apply_top_p(cands_, params_.top_p);
  apply_min_p(cands_, params_.min_p);
  apply_temperature(cands_, params_.temperature);
  return sample_from_candidates(cands_, rng_, probs_);
}

SampleResult Sampler::sample_with_logprobs(const float* logits, int32_t n_top) {
  SampleResult result;
  result.token = sample(logits);
  const float lse = log_sum_exp(logits, n_vocab_);
  result.logprob = token_logprob(logits, result.token, lse);
  result.top = top_logprobs(logits, n_vocab_, n_top, lse);
  return result;
}

void Sampler::accept(int32_t token) {
  IMP_CHECK(token >= 0 && token < n_vocab_, "accept(", token, ") outside the vocabulary of ",
            n_vocab_);
  window_.push(token);
}

void Sampler::reset() {
  window_.clear();
  rng_.seed(seed_);
}

}  // namespace impetus
