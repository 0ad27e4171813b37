// A STREAM-like measurement of the machine's memory bandwidth, the ceiling
// of token generation (which reads every weight once per token). Two tests
// over one buffer (1 GiB by default, far beyond any cache), each split
// evenly across the threads and repeated, the best run kept:
//   read:  sum the whole buffer (only loads);
//   copy:  copy its first half onto its second half; read + written bytes
//          are counted, as STREAM does (write-allocate traffic is not).
// Used by `impetus bench --memory`, and meant for telemetry later.
//
//   IMP_ASSIGN_OR_RETURN(auto bw, measure_memory_bandwidth({.n_threads = 2}));
//   printf("%.1f GB/s\n", bw.read_gbps);
#pragma once

#include <cstddef>

#include "core/status.h"

namespace impetus {

struct MemoryBandwidthOptions {
  size_t n_bytes = size_t{1} << 30;  // buffer size (rounded down to a multiple of 4 KiB)
  int n_threads = 1;                 // threads sharing each pass (0 = all hardware threads)
  int n_runs = 10;                   // passes per test; the fastest one counts
};

struct MemoryBandwidth {
  double read_gbps = 0.0;  // 1e9 bytes per second
  double copy_gbps = 0.0;  // (bytes read + bytes written) per second
  size_t n_bytes = 0;      // buffer size used
  int n_threads = 0;       // threads used
};

// INVALID_ARGUMENT for a buffer under 1 MiB or no runs; RESOURCE_EXHAUSTED
// when the buffer cannot be allocated.
StatusOr<MemoryBandwidth> measure_memory_bandwidth(const MemoryBandwidthOptions& options);

}  // namespace impetus
