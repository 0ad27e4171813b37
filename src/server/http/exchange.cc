#include "server/http/exchange.h"

#include <utility>

namespace impetus::http {

bool Exchange::try_close_stream() {
  if (stream_closed_.exchange(true, std::memory_order_acq_rel)) return false;
  std::function<void()> dropped;
  {
    std::lock_guard lock(mu_);
    callback_done_ = true;
    dropped = std::move(on_gone_);
  }
  return true;  // `dropped` (and what it captured) is released outside the lock
}

void Exchange::mark_gone() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    gone_.store(true, std::memory_order_release);
    if (!callback_done_ && on_gone_) {
      callback_done_ = true;
      fn = std::move(on_gone_);
      on_gone_ = nullptr;
    }
  }
  if (fn) fn();
}

void Exchange::finish() {
  std::function<void()> dropped;
  std::lock_guard lock(mu_);
  callback_done_ = true;
  dropped = std::move(on_gone_);
  on_gone_ = nullptr;
}

void Exchange::set_on_gone(std::function<void()> fn) {
  if (!fn) return;
  {
    std::lock_guard lock(mu_);
    if (callback_done_ || on_gone_) return;
    if (!gone_.load(std::memory_order_acquire)) {
      on_gone_ = std::move(fn);
      return;
    }
    callback_done_ = true;
  }
  fn();
}

bool Exchange::add_queued(size_t n) {
  const size_t total = queued_bytes_.fetch_add(n, std::memory_order_acq_rel) + n;
  if (total <= max_queued_bytes_) return true;
  queued_bytes_.fetch_sub(n, std::memory_order_acq_rel);
  return false;
}

void Exchange::sub_queued(size_t n) { queued_bytes_.fetch_sub(n, std::memory_order_acq_rel); }

}  // namespace impetus::http
