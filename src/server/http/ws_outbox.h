// WsOutbox: the bounded send queue of one WebSocket, shared by the thread-
// safe handle that application code sends through (any thread) and the
// connection that writes (its strand). Never blocks on the network:
//
//  - a message with a coalesce key replaces the queued, unwritten message
//    with the same key (only the latest is kept) and is not counted against
//    the limits; the one being written is not touched;
//  - other messages are counted; the one that would pass max_messages or
//    max_bytes "overflows": the queue is emptied, closes with 1008, and the
//    connection drops the client;
//  - close() stops accepting messages; the writer drains what is queued
//    (unless dropped) and then performs the close.
//
// The writer is woken at most once per idle period: push/close return
// whether the caller must wake it, and pop() returning nothing puts it back
// to sleep. Invariant: while messages or a close are pending, the writer is
// either awake or a wake-up is on its way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace impetus::http {

class WsOutbox {
 public:
  WsOutbox(size_t max_messages, size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  struct Frame {
    std::shared_ptr<const std::string> text;
    std::string key;  // "" = not coalesced
  };
  struct CloseRequest {
    uint16_t code = 1000;
    std::string reason;
  };
  enum class Push {
    kQueued,      // queued; the writer is already awake
    kQueuedWake,  // queued; the caller must wake the writer
    kRefused,     // closed or closing: dropped
    kOverflow,    // this message overflowed the queue: dropped, closing with 1008;
                  // the caller must wake the writer (always: it may be stuck in a write)
  };

  Push push(std::shared_ptr<const std::string> text, std::string_view key);
  // Begins closing (first call wins); drop_queued discards unwritten messages.
  // Returns true when the caller must wake the writer.
  bool close(uint16_t code, std::string reason, bool drop_queued);
  // Writer: the next message; nullopt when none (the writer goes to sleep).
  std::optional<Frame> pop();
  // Writer: the close to perform, once closing and nothing is left to write.
  std::optional<CloseRequest> pending_close() const;
  // The connection has ended: everything is refused from now on.
  void mark_ended();

  bool closing() const;  // close() was called, overflowed, or ended
  bool overflowed() const;
  size_t n_queued() const;  // messages waiting, coalesced ones included

 private:
  const size_t max_messages_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  std::deque<Frame> frames_;
  size_t n_counted_ = 0;      // queued messages without a key
  size_t counted_bytes_ = 0;  // their bytes
  bool wake_pending_ = false;
  bool closing_ = false;
  bool overflowed_ = false;
  CloseRequest close_;
};

}  // namespace impetus::http
