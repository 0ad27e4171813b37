#include "core/memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "core/thread_pool.h"

namespace impetus {
namespace {

constexpr size_t kPage = 4096;
// 32 bytes of integers: the compiler's portable vector type (SSE2 pairs or
// AVX registers on x86, NEON pairs on ARM), so the read loop is not limited
// by scalar loads whatever flags this file is built with.
using Vec = uint64_t __attribute__((vector_size(32)));
constexpr size_t kVecBytes = sizeof(Vec);

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t, FreeDeleter>;

// [begin, end) of thread t's share of n bytes, in whole pages.
std::pair<size_t, size_t> share(size_t n, int t, int n_threads) {
  const size_t pages = n / kPage;
  const size_t per = pages / static_cast<size_t>(n_threads);
  const size_t extra = pages % static_cast<size_t>(n_threads);
  const size_t ut = static_cast<size_t>(t);
  const size_t begin = ut * per + std::min(ut, extra);
  const size_t end = begin + per + (ut < extra ? 1 : 0);
  return {begin * kPage, end * kPage};
}

// Sums [p, p + n) as 64-bit integers with four independent accumulators.
uint64_t sum_bytes(const uint8_t* p, size_t n) {
  const Vec* v = reinterpret_cast<const Vec*>(p);
  const size_t n_vec = n / kVecBytes;
  Vec a0 = {}, a1 = {}, a2 = {}, a3 = {};
  size_t i = 0;
  for (; i + 4 <= n_vec; i += 4) {
    a0 += v[i];
    a1 += v[i + 1];
    a2 += v[i + 2];
    a3 += v[i + 3];
  }
  for (; i < n_vec; ++i) a0 += v[i];
  const Vec s = a0 + a1 + a2 + a3;
  return s[0] + s[1] + s[2] + s[3];
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The fastest of n_runs passes of fn over the pool, in seconds.
double best_time(ThreadPool& pool, int n_runs, const std::function<void(int, int)>& fn) {
  double best = 1e30;
  for (int r = 0; r < n_runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    pool.run(fn);
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

}  // namespace

StatusOr<MemoryBandwidth> measure_memory_bandwidth(const MemoryBandwidthOptions& options) {
  const size_t n = options.n_bytes / kPage * kPage;
  if (n < (size_t{1} << 20)) return invalid_argument("memory bandwidth buffer must be >= 1 MiB");
  if (options.n_runs < 1) return invalid_argument("memory bandwidth needs at least one run");
  int n_threads = options.n_threads;
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  AlignedBytes buf(static_cast<uint8_t*>(std::aligned_alloc(kPage, n)));
  if (!buf) return resource_exhausted("cannot allocate " + std::to_string(n >> 20) + " MiB");
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(buf.get(), n, MADV_HUGEPAGE);  // fewer TLB misses; a hint, failure is harmless
#endif
  uint8_t* base = buf.get();
  ThreadPool pool(n_threads);
  // First touch by the thread that later reads the same share (NUMA-local pages).
  pool.run([&](int t, int nt) {
    auto [b, e] = share(n, t, nt);
    std::memset(base + b, 0x5a + t, e - b);
  });

  std::vector<uint64_t> sums(static_cast<size_t>(n_threads));
  const double t_read = best_time(pool, options.n_runs, [&](int t, int nt) {
    auto [b, e] = share(n, t, nt);
    sums[static_cast<size_t>(t)] += sum_bytes(base + b, e - b);
  });
  // Keep the sums observable so the reads cannot be optimized away.
  volatile uint64_t sink = 0;
  for (uint64_t s : sums) sink = sink + s;

  const size_t half = n / 2 / kPage * kPage;
  const double t_copy = best_time(pool, options.n_runs, [&](int t, int nt) {
    auto [b, e] = share(half, t, nt);
    std::memcpy(base + half + b, base + b, e - b);
  });

  MemoryBandwidth out;
  out.n_bytes = n;
  out.n_threads = n_threads;
  out.read_gbps = static_cast<double>(n) / t_read / 1e9;
  out.copy_gbps = 2.0 * static_cast<double>(half) / t_copy / 1e9;
  return out;
}

}  // namespace impetus
