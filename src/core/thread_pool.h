// ThreadPool: a fixed set of worker threads that stay parked between jobs
// (no respawning per op). parallel_for(n, fn) runs fn(i) for i in [0, n)
// across the workers and the calling thread, and returns when all are done.
//
// A forward pass issues hundreds of small parallel jobs per token, so a new
// job must reach the workers in well under a microsecond: workers spin on an
// atomic job counter for a short while after each job (kSpinIterations), then
// sleep on it (std::atomic::wait, a futex on Linux) until the next job.
//
//   pool.parallel_for(n_rows, [&](int64_t r) { ... });
//   pool.run([&](int thread_index, int n_threads) { ... });  // one call per thread
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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

  // Changes the number of threads (the calling thread included; >= 1):
  // stops the workers and starts n - 1 new ones. Only between jobs, from the
  // thread that calls run() (e.g. a performance-mode change applied by the
  // engine thread before its next step).
  void resize(int n_threads);

  // Calls fn(thread_index, n_threads) once on every thread; blocks until all return.
  // Not reentrant: call it from one thread at a time, never from inside a job.
  void run(const std::function<void(int, int)>& fn);

  // Calls fn(i) for every i in [0, n), split in contiguous chunks across threads.
  void parallel_for(int64_t n, const std::function<void(int64_t)>& fn);

  // Calls fn(begin, end) on contiguous ranges that cover [0, n).
  void parallel_ranges(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop(int index, uint64_t seen);
  void start_workers();
  void stop_workers();

  static constexpr int kSpinIterations = 1 << 15;

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  alignas(64) std::atomic<uint64_t> generation_{0};  // bumped for every job
  alignas(64) std::atomic<int> pending_{0};          // workers still running the job
  alignas(64) std::atomic<bool> stop_{false};
};

}  // namespace impetus
