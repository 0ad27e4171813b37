#include "engine/model_runner.h"

namespace impetus {

StatusOr<StepResult> ModelRunner::execute(const StepPlan& plan) {
  ForwardBatch batch;
  batch.info.block_size = cache_.block_size();
  std::vector<Sequence*> sampled_seqs;
  for (size_t i = 0; i < plan.seqs.size(); ++i) {
    const ScheduledSeq& p = plan.seqs[i];
    batch.info.block_tables.push_back(p.seq->blocks.blocks());
    for (int32_t k = 0; k < p.count; ++k) {
      const int32_t pos = p.first + k;
      const bool last = k + 1 == p.count;
      batch.add(p.seq->tokens[static_cast<size_t>(pos)], pos, static_cast<int32_t>(i), last && p.sample);
    }
    if (p.sample) sampled_seqs.push_back(p.seq);
  }
  StepResult result;
  result.n_tokens = static_cast<int32_t>(batch.n_tokens());
  if (batch.tokens.empty()) return result;
  // Plain greedy picks without log-probabilities need only each row's argmax,
  // which the backend computes where the logits are (a GPU copies ids).
  bool ids_only = !sampled_seqs.empty();
  for (const Sequence* s : sampled_seqs) ids_only &= s->request.n_logprobs < 0 && s->sampler.plain_greedy();
  if (ids_only) {
    IMP_RETURN_IF_ERROR(model_.forward_greedy(batch, cache_, &ids_));
    for (size_t r = 0; r < sampled_seqs.size(); ++r) {
      SampledToken st;
      st.seq = sampled_seqs[r];
      st.token = ids_[r];
      result.sampled.push_back(std::move(st));
    }
    return result;
  }
  IMP_RETURN_IF_ERROR(model_.forward(batch, cache_, &logits_));
  const int32_t n_vocab = model_.config().n_vocab;
  for (size_t r = 0; r < sampled_seqs.size(); ++r) {
    Sequence& s = *sampled_seqs[r];
    const float* row = logits_.data() + r * static_cast<size_t>(n_vocab);
    SampledToken st;
    st.seq = &s;
    if (s.request.n_logprobs >= 0) {
      SampleResult sr = s.sampler.sample_with_logprobs(row, s.request.n_logprobs);
      st.token = sr.token;
      st.logprobs.chosen = {sr.token, tokenizer_.token_to_piece(sr.token), sr.logprob};
      for (const auto& t : sr.top) {
        st.logprobs.top.push_back({t.token, tokenizer_.token_to_piece(t.token), t.logprob});
      }
    } else {
      st.token = s.sampler.sample(row);
    }
    result.sampled.push_back(std::move(st));
  }
  return result;
}

}  // namespace impetus
