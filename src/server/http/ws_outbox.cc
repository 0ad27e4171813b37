#include "server/http/ws_outbox.h"

#include <utility>

namespace impetus::http {

WsOutbox::Push WsOutbox::push(std::shared_ptr<const std::string> text, std::string_view key) {
  std::lock_guard lock(mu_);
  if (closing_ || !text) return Push::kRefused;
  if (!key.empty()) {
    for (Frame& f : frames_) {
      if (f.key == key) {
        f.text = std::move(text);
        return Push::kQueued;  // a queued frame means the writer is awake
      }
    }
    frames_.push_back(Frame{std::move(text), std::string(key)});
  } else {
    const size_t n = text->size();
    if (n_counted_ + 1 > max_messages_ || counted_bytes_ + n > max_bytes_) {
      frames_.clear();
      n_counted_ = 0;
      counted_bytes_ = 0;
      closing_ = true;
      overflowed_ = true;
      close_ = {1008, "send queue overflow: the client reads too slowly"};
      wake_pending_ = true;  // the caller always wakes the writer (it may be stuck writing)
      return Push::kOverflow;
    }
    frames_.push_back(Frame{std::move(text), std::string()});
    ++n_counted_;
    counted_bytes_ += n;
  }
  if (wake_pending_) return Push::kQueued;
  wake_pending_ = true;
  return Push::kQueuedWake;
}

bool WsOutbox::close(uint16_t code, std::string reason, bool drop_queued) {
  std::lock_guard lock(mu_);
  if (closing_) return false;
  closing_ = true;
  close_ = {code, std::move(reason)};
  if (drop_queued) {
    frames_.clear();
    n_counted_ = 0;
    counted_bytes_ = 0;
  }
  if (wake_pending_) return false;
  wake_pending_ = true;
  return true;
}

std::optional<WsOutbox::Frame> WsOutbox::pop() {
  std::lock_guard lock(mu_);
  if (frames_.empty()) {
    wake_pending_ = false;
    return std::nullopt;
  }
  Frame f = std::move(frames_.front());
  frames_.pop_front();
  if (f.key.empty()) {
    --n_counted_;
    counted_bytes_ -= f.text->size();
  }
  return f;
}

std::optional<WsOutbox::CloseRequest> WsOutbox::pending_close() const {
  std::lock_guard lock(mu_);
  if (!closing_ || !frames_.empty()) return std::nullopt;
  return close_;
}

void WsOutbox::mark_ended() {
  std::lock_guard lock(mu_);
  closing_ = true;
  frames_.clear();
  n_counted_ = 0;
  counted_bytes_ = 0;
}

bool WsOutbox::closing() const {
  std::lock_guard lock(mu_);
  return closing_;
}

bool WsOutbox::overflowed() const {
  std::lock_guard lock(mu_);
  return overflowed_;
}

size_t WsOutbox::n_queued() const {
  std::lock_guard lock(mu_);
  return frames_.size();
}

}  // namespace impetus::http
