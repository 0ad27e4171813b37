#include "sampling/logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace impetus {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The sampler's view of a logit (see fill_candidates): NaN is -inf, +inf the largest float.
float clean(float logit) {
  if (std::isnan(logit)) return kNegInf;
  return std::min(logit, std::numeric_limits<float>::max());
}

// Strict "a ranks before b" on (token, logit): larger logit, then lower id.
bool ranks_before(const TokenLogprob& a, const TokenLogprob& b) {
  return a.logprob > b.logprob || (a.logprob == b.logprob && a.token < b.token);
}

}  // namespace

float log_sum_exp(const float* logits, int32_t n_vocab) {
  float max = kNegInf;
  for (int32_t i = 0; i < n_vocab; ++i) max = std::max(max, clean(logits[i]));
  if (max == kNegInf) return kNegInf;
  double sum = 0.0;
  for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(clean(logits[i]) - max);
  return max + static_cast<float>(std::log(sum));
}

float token_logprob(const float* logits, int32_t token, float lse) {
  return clean(logits[token]) - lse;
}

std::vector<TokenLogprob> top_logprobs(const float* logits, int32_t n_vocab, int32_t n_top,
                                       float lse) {
  const size_t n = static_cast<size_t>(std::max(0, std::min(n_top, n_vocab)));
  std::vector<TokenLogprob> heap;  // holds raw logits until the end
  if (n == 0) return heap;
  heap.reserve(n);
  // Min-heap of the best n seen so far: its front is the worst of them.
  for (int32_t i = 0; i < n_vocab; ++i) {
    const TokenLogprob t{i, clean(logits[i])};
    if (heap.size() < n) {
      heap.push_back(t);
      std::push_heap(heap.begin(), heap.end(), ranks_before);
    } else if (ranks_before(t, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), ranks_before);
      heap.back() = t;
      std::push_heap(heap.begin(), heap.end(), ranks_before);
    }
  }
  std::sort(heap.begin(), heap.end(), ranks_before);
  for (TokenLogprob& t : heap) t.logprob -= lse;
  return heap;
}

}  // namespace impetus
