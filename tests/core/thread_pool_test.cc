// ThreadPool: every index of a parallel_for runs exactly once, run() calls
// each thread once with its index, and resize() between jobs changes the
// number of threads (up and down) without losing or repeating work.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <mutex>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

namespace impetus {
namespace {

void expect_each_index_once(ThreadPool& pool, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  pool.parallel_for(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
}

std::set<int> thread_indices(ThreadPool& pool) {
  std::mutex mu;
  std::set<int> seen;
  int n_reported = 0;
  pool.run([&](int index, int n) {
    std::lock_guard lock(mu);
    seen.insert(index);
    n_reported = n;
  });
  EXPECT_EQ(n_reported, pool.n_threads());
  return seen;
}

TEST(ThreadPool, RunsEveryIndexOnce) {
  for (int n_threads : {1, 2, 3, 8}) {
    ThreadPool pool(n_threads);
    EXPECT_EQ(thread_indices(pool).size(), static_cast<size_t>(n_threads));
    for (int64_t n : {0, 1, 7, 1000}) expect_each_index_once(pool, n);
  }
}

TEST(ThreadPool, ResizesBetweenJobs) {
  ThreadPool pool(4);
  expect_each_index_once(pool, 100);
  for (int n : {1, 3, 6, 2, 2, 0}) {
    pool.resize(n);
    const int expected = n < 1 ? 1 : n;
    EXPECT_EQ(pool.n_threads(), expected);
    EXPECT_EQ(thread_indices(pool), [&] {
      std::set<int> all;
      for (int i = 0; i < expected; ++i) all.insert(i);
      return all;
    }());
    for (int k = 0; k < 50; ++k) expect_each_index_once(pool, 257);  // many jobs after each resize
  }
}

}  // namespace
}  // namespace impetus
