// BlockPool: hands out the ids of KV-cache blocks. Each block has a
// reference count so sequences can share blocks (prefix reuse, n > 1);
// a block returns to the free list when its last reference is released.
// Plain bookkeeping: it never touches the cache memory itself.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/status.h"

namespace impetus {

class BlockPool {
 public:
  explicit BlockPool(int32_t n_blocks);

  int32_t n_blocks() const { return static_cast<int32_t>(ref_counts_.size()); }
  int32_t n_free() const { return static_cast<int32_t>(free_.size()); }

  // A free block with one reference, or nullopt when none is left.
  std::optional<int32_t> allocate();
  void add_ref(int32_t block);
  // Drops one reference; returns true when the block became free.
  bool release(int32_t block);
  int32_t ref_count(int32_t block) const { return ref_counts_[static_cast<size_t>(block)]; }

 private:
  std::vector<int32_t> ref_counts_;
  std::vector<int32_t> free_;  // stack of free block ids
};

// The blocks one sequence owns, grown as its tokens are added.
class BlockTable {
 public:
  BlockTable(BlockPool& pool, int32_t block_size) : pool_(&pool), block_size_(block_size) {}
  ~BlockTable() { clear(); }
  BlockTable(BlockTable&& other) noexcept;
  BlockTable& operator=(BlockTable&& other) noexcept;
  BlockTable(const BlockTable&) = delete;
  BlockTable& operator=(const BlockTable&) = delete;

  // Makes room for positions [0, n_tokens); RESOURCE_EXHAUSTED when the pool is empty.
  Status reserve(int64_t n_tokens);
  void clear();
  const std::vector<int32_t>& blocks() const { return blocks_; }
  int64_t capacity() const { return static_cast<int64_t>(blocks_.size()) * block_size_; }

 private:
  BlockPool* pool_;
  int32_t block_size_;
  std::vector<int32_t> blocks_;
};

}  // namespace impetus
