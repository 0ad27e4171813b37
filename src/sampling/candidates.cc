#include "sampling/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace impetus {

void fill_candidates(Candidates& c, const float* logits, int32_t n_vocab) {
  IMP_CHECK(n_vocab > 0, "fill_candidates needs a vocabulary, got n_vocab=", n_vocab);
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  constexpr float kMax = std::numeric_limits<float>::max();
  c.items.resize(static_cast<size_t>(n_vocab));
  for (int32_t i = 0; i < n_vocab; ++i) {
    float l = logits[i];
    if (std::isnan(l)) l = kNegInf;
    if (l == std::numeric_limits<float>::infinity()) l = kMax;
    c.items[static_cast<size_t>(i)] = {i, l};
  }
  c.id_ordered = true;
  c.n_sorted = 0;
}

void sort_prefix(Candidates& c, size_t m) {
  m = std::min(m, c.size());
  if (m <= c.n_sorted) return;
  // Everything after the sorted prefix ranks below it, so only the rest needs work.
  const auto first = c.items.begin() + static_cast<std::ptrdiff_t>(c.n_sorted);
  const auto mid = c.items.begin() + static_cast<std::ptrdiff_t>(m);
  if (mid != c.items.end()) std::nth_element(first, mid, c.items.end(), ranks_before);
  std::sort(first, mid, ranks_before);
  c.n_sorted = m;
  c.id_ordered = false;
}

void truncate_candidates(Candidates& c, size_t n) {
  IMP_CHECK(n <= c.size(), "cannot truncate ", c.size(), " candidates to ", n);
  c.items.resize(n);
  // A prefix of an id-ordered array is still id-ordered; the sorted prefix shrinks at most.
  c.n_sorted = std::min(c.n_sorted, n);
}

size_t best_index(const Candidates& c) {
  IMP_CHECK(!c.empty(), "best_index of no candidates");
  if (c.n_sorted > 0) return 0;
  size_t best = 0;
  for (size_t i = 1; i < c.size(); ++i) {
    if (ranks_before(c.items[i], c.items[best])) best = i;
  }
  return best;
}

float max_logit(const Candidates& c) { return c.items[best_index(c)].logit; }

void softmax(const Candidates& c, std::vector<double>& probs) {
  probs.resize(c.size());
  const float max = max_logit(c);
  if (max == -std::numeric_limits<float>::infinity()) {
    std::fill(probs.begin(), probs.end(), 0.0);
    return;
  }
  double sum = 0.0;
  for (size_t i = 0; i < c.size(); ++i) {
    probs[i] = std::exp(c.items[i].logit - max);  // float exp, double sum
    sum += probs[i];
  }
  for (double& p : probs) p /= sum;
}

}  // namespace impetus
