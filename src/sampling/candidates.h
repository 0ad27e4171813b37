// Candidates: the working set of (token id, logit) pairs that the sampling
// processors narrow down, so each step touches only what is left instead of
// the whole vocabulary.
//
//   Candidates c;
//   fill_candidates(c, logits, n_vocab);  // every token, in id order
//   apply_top_k(c, 40);                   // now the 40 best, best first
//
// Two facts about the order are tracked so that processors can skip work:
// id_ordered (items[i].id == i, true right after fill, so a token is found by
// index) and n_sorted (the first n_sorted items are the n_sorted best of all
// items, best first). "Best first" means descending logit, ties broken by the
// lower token id, so every order the processors produce is deterministic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace impetus {

struct TokenCandidate {
  int32_t id;
  float logit;
};

struct Candidates {
  std::vector<TokenCandidate> items;
  // items[i].id == i for every i: a token's entry is items[id].
  bool id_ordered = false;
  // The first n_sorted items are the n_sorted best, in best-first order.
  size_t n_sorted = 0;

  size_t size() const { return items.size(); }
  bool empty() const { return items.empty(); }
};

// Strict "a ranks before b": larger logit first, then the lower id.
inline bool ranks_before(const TokenCandidate& a, const TokenCandidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Resets c to every token 0..n_vocab-1 in id order. NaN logits become -inf
// (a NaN would break every comparison the processors make) and +inf becomes
// the largest finite float (so the softmax stays defined).
void fill_candidates(Candidates& c, const float* logits, int32_t n_vocab);

// Makes the first min(m, size) items the best ones, in best-first order,
// reusing whatever prefix is already sorted. Clears id_ordered if it moves anything.
void sort_prefix(Candidates& c, size_t m);

// Keeps the first n items (n <= size), keeping the tracked order facts true.
void truncate_candidates(Candidates& c, size_t n);

// Index (into items) of the best candidate; c must not be empty.
size_t best_index(const Candidates& c);

// Largest logit among the candidates; c must not be empty.
float max_logit(const Candidates& c);

// Probabilities softmax(logits) of the items, in item order, into probs
// (resized to c.size()). All -inf logits give all zeros.
void softmax(const Candidates& c, std::vector<double>& probs);

}  // namespace impetus
