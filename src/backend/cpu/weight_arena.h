// WeightArena: host memory for model weights that the CPU backend copies out
// of the memory-mapped model file, in transparent huge pages where the OS
// offers them. Decode streams every weight once per token; from 4 KiB file
// pages the two cores of the development machine read ~35 GB/s, from 2 MiB
// pages ~54 GB/s (docs/performance.md). Opt-in (IMPETUS_CPU_WEIGHTS=copy or
// CpuBackendOptions::copy_weights): by default weights stay in the mapping,
// so loading reads nothing and the process holds one copy of the file.
//
// Memory comes in chunks of at least 256 MiB, 2 MiB aligned; tensors are
// placed back to back (64-byte aligned) and live as long as the arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/status.h"

namespace impetus::cpu {

class WeightArena {
 public:
  WeightArena() = default;
  WeightArena(const WeightArena&) = delete;
  WeightArena& operator=(const WeightArena&) = delete;
  ~WeightArena();

  // A copy of [src, src + bytes), 64-byte aligned; thread-safe.
  StatusOr<void*> copy(const void* src, size_t bytes);

  size_t bytes_used() const;

  // Whether the CPU backend copies weights when its options do not say:
  // IMPETUS_CPU_WEIGHTS=copy (anything else: weights used in place).
  static bool enabled_by_default();

 private:
  struct Chunk {
    uint8_t* base = nullptr;
    size_t size = 0, used = 0;
  };
  StatusOr<Chunk*> chunk_for(size_t bytes);

  mutable std::mutex mu_;
  std::vector<Chunk> chunks_;
};

}  // namespace impetus::cpu
