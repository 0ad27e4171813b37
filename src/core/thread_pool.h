// ThreadPool: a fixed set of worker threads that stay parked between jobs
// (no respawning per op). parallel_for(n, fn) runs fn(i) for i in [0, n)
// across the workers and the calling thread, and returns when all are done.
//
//   pool.parallel_for(n_rows, [&](int64_t r) { ... });
//   pool.run([&](int thread_index, int n_threads) { ... });  // one call per thread
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace impetus {

class ThreadPool {
 public:
  // n_threads counts the calling thread: ThreadPool(1) runs everything inline.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Calls fn(thread_index, n_threads) once on every thread; blocks until all return.
  void run(const std::function<void(int, int)>& fn);

  // Calls fn(i) for every i in [0, n), split in contiguous chunks across threads.
  void parallel_for(int64_t n, const std::function<void(int64_t)>& fn);

  // Calls fn(begin, end) on contiguous ranges that cover [0, n).
  void parallel_ranges(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int, int)>* job_ = nullptr;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

}  // namespace impetus
