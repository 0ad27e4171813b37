#include "backend/cpu/weight_arena.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace impetus::cpu {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kMinChunk = size_t{256} << 20;  // untouched tails cost address space only
constexpr size_t kAlign = 64;

size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

}  // namespace

WeightArena::~WeightArena() {
  for (const Chunk& c : chunks_) {
#if defined(__linux__)
    munmap(c.base, c.size);
#else
    std::free(c.base);
#endif
  }
}

bool WeightArena::enabled_by_default() {
  const char* env = std::getenv("IMPETUS_CPU_WEIGHTS");
  return env != nullptr && std::string(env) == "copy";
}

StatusOr<WeightArena::Chunk*> WeightArena::chunk_for(size_t bytes) {
  if (!chunks_.empty() && chunks_.back().size - chunks_.back().used >= bytes) {
    return &chunks_.back();
  }
  Chunk c;
  c.size = round_up(std::max(bytes, kMinChunk), kHugePage);
#if defined(__linux__)
  // Over-allocate by one huge page so the chunk can start 2 MiB aligned.
  void* p =
      mmap(nullptr, c.size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return resource_exhausted("cannot map " + std::to_string(c.size >> 20) + " MiB for weights");
  }
  auto* raw = static_cast<uint8_t*>(p);
  auto* aligned = reinterpret_cast<uint8_t*>(round_up(reinterpret_cast<uintptr_t>(raw), kHugePage));
  if (aligned != raw) munmap(raw, static_cast<size_t>(aligned - raw));
  const size_t tail = static_cast<size_t>(raw + c.size + kHugePage - (aligned + c.size));
  if (tail > 0) munmap(aligned + c.size, tail);
  c.base = aligned;
#if defined(MADV_HUGEPAGE)
  madvise(c.base, c.size, MADV_HUGEPAGE);  // a hint: failure only costs speed
#endif
#else
  c.base = static_cast<uint8_t*>(std::aligned_alloc(kHugePage, c.size));
  if (c.base == nullptr) {
    return resource_exhausted("cannot allocate " + std::to_string(c.size >> 20) +
                              " MiB for weights");
  }
#endif
  chunks_.push_back(c);
  return &chunks_.back();
}

StatusOr<void*> WeightArena::copy(const void* src, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t need = round_up(std::max<size_t>(bytes, 1), kAlign);
  IMP_ASSIGN_OR_RETURN(Chunk * c, chunk_for(need));
  uint8_t* dst = c->base + c->used;
  c->used += need;
  std::memcpy(dst, src, bytes);
  return static_cast<void*>(dst);
}

size_t WeightArena::bytes_used() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const Chunk& c : chunks_) n += c.used;
  return n;
}

}  // namespace impetus::cpu
