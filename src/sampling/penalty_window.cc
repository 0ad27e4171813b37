#include "sampling/penalty_window.h"

#include "core/check.h"

namespace impetus {

PenaltyWindow::PenaltyWindow(int32_t last_n) : last_n_(last_n) {
  IMP_CHECK(last_n >= -1, "penalty window size must be >= -1, got ", last_n);
  if (last_n > 0) ring_.reserve(static_cast<size_t>(last_n));
}

void PenaltyWindow::push(int32_t token) {
  if (last_n_ == 0) return;
  ++counts_[token];
  if (last_n_ < 0) {
    ++n_tokens_;
    return;
  }
  if (ring_.size() < static_cast<size_t>(last_n_)) {
    ring_.push_back(token);
    n_tokens_ = ring_.size();
    return;
  }
  // Full: the new token takes the oldest one's slot.
  const int32_t evicted = ring_[ring_head_];
  ring_[ring_head_] = token;
  ring_head_ = (ring_head_ + 1) % ring_.size();
  auto it = counts_.find(evicted);
  if (--it->second == 0) counts_.erase(it);
}

void PenaltyWindow::clear() {
  ring_.clear();
  ring_head_ = 0;
  n_tokens_ = 0;
  counts_.clear();
}

}  // namespace impetus
