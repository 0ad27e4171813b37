// PenaltyWindow: the last n accepted tokens and how often each occurs in
// them, kept up to date one token at a time, for the repetition, presence
// and frequency penalties.
//
//   PenaltyWindow w(64);         // -1: the whole history, 0: keep nothing
//   w.push(token);               // after each accepted token
//   for (auto [id, n] : w.counts()) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace impetus {

class PenaltyWindow {
 public:
  // last_n: how many recent tokens to keep; -1 keeps every token, 0 none.
  explicit PenaltyWindow(int32_t last_n);

  // Appends a token, dropping the oldest one when the window is full.
  void push(int32_t token);
  // Forgets every token.
  void clear();

  // Occurrences of each distinct token in the window (no zero entries).
  const std::unordered_map<int32_t, int32_t>& counts() const { return counts_; }
  // Number of tokens in the window.
  size_t size() const { return n_tokens_; }

 private:
  int32_t last_n_;
  // Ring buffer of the window's tokens (unused when last_n_ is -1, which
  // needs only the counts); ring_head_ is the slot of the oldest token once full.
  std::vector<int32_t> ring_;
  size_t ring_head_ = 0;
  size_t n_tokens_ = 0;
  std::unordered_map<int32_t, int32_t> counts_;
};

}  // namespace impetus
