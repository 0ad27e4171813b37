// Exchange: the thread-safe state of one request/response, shared by the
// connection (Session, on its I/O strand) and the Responder / StreamWriter a
// handler holds (on any thread). It records whether the handler answered,
// whether the client has gone, the bytes of a stream not yet written, and
// the on_disconnect callback, which it runs exactly once, outside its lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>

namespace impetus::http {

class Exchange {
 public:
  explicit Exchange(size_t max_queued_bytes) : max_queued_bytes_(max_queued_bytes) {}

  // True for the first caller only: the one answer (respond or start_stream).
  bool try_answer() { return !answered_.exchange(true, std::memory_order_acq_rel); }
  bool answered() const { return answered_.load(std::memory_order_acquire); }

  // True for the first caller only: the handler's close() of a stream. Drops
  // the on_disconnect callback (a disconnect after close() is not reported).
  bool try_close_stream();
  bool stream_closed() const { return stream_closed_.load(std::memory_order_acquire); }

  bool gone() const { return gone_.load(std::memory_order_acquire); }
  // The client went away: runs the callback (if set and the exchange is not
  // finished) on the calling thread. Idempotent. Called by the connection.
  void mark_gone();
  // Marks the client gone without running the callback: for the handler's
  // side (write/respond), which may hold its own locks while calling us.
  void mark_gone_quietly() { gone_.store(true, std::memory_order_release); }
  // The exchange completed normally: the callback is dropped unrun.
  void finish();
  // Installs the callback; runs it at once on the calling thread if the
  // client has already gone. Only the first callback is kept.
  void set_on_gone(std::function<void()> fn);

  // Stream back-pressure: bytes handed to write() and not yet on the wire.
  // add_queued returns false when the total would pass the limit.
  bool add_queued(size_t n);
  void sub_queued(size_t n);

 private:
  const size_t max_queued_bytes_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> stream_closed_{false};
  std::atomic<bool> gone_{false};
  std::atomic<size_t> queued_bytes_{0};
  std::mutex mu_;  // guards the fields below
  std::function<void()> on_gone_;
  bool callback_done_ = false;  // ran, or will never run
};

}  // namespace impetus::http
