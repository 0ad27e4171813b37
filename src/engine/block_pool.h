// BlockPool: hands out the ids of KV-cache blocks and remembers what full
// blocks hold, so that prompts sharing a prefix reuse its keys and values
// (automatic prefix caching).
//
// Each block has a reference count (sequences share blocks). A full block
// whose K/V are computed can be registered under a content hash (its tokens
// and everything before them, see hash_block()); when its last reference is
// released it stays cached, evictable least-recently-used, until its slot is
// needed. Cached blocks never change: shared blocks are always full, and the
// block a sequence writes into is its own, so no copy-on-write is needed.
//
// Pins: a group of blocks can be kept referenced under a key (a conversation
// id); when nothing is free or evictable, the oldest pin is dropped first.
// Plain bookkeeping: never touches the cache memory itself; not thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace impetus {

// Hash of a full block: its tokens chained to the hash of the blocks before it.
uint64_t hash_block(uint64_t parent_hash, const int32_t* tokens, int32_t n);

struct PinInfo {
  std::string key;
  int32_t n_blocks = 0;
  int64_t n_tokens = 0;
  int64_t pinned_at_ms = 0;  // steady-clock milliseconds
};

class BlockPool {
 public:
  explicit BlockPool(int32_t n_blocks);

  int32_t n_blocks() const { return static_cast<int32_t>(blocks_.size()); }
  // Blocks a sequence could get now: free ones plus unreferenced cached ones, within the limit.
  int32_t n_free() const;
  int32_t n_used() const { return n_used_; }        // referenced
  int32_t n_cached() const;                          // registered under a hash (used or not)
  int32_t limit() const { return limit_; }

  // Usable blocks (<= n_blocks): the memory budget. Lowering it evicts cached blocks.
  void set_limit(int32_t limit);

  // A block with one reference: a free one, else the least recently used cached one
  // (its hash forgotten), else after dropping the oldest pin. nullopt when all are in use.
  std::optional<int32_t> allocate();
  void add_ref(int32_t block);
  // Drops one reference; returns true when the block is no longer referenced.
  bool release(int32_t block);
  int32_t ref_count(int32_t block) const { return blocks_[static_cast<size_t>(block)].refs; }

  // Prefix cache. register_block: a full, computed block now holds `tokens`
  // after `parent_hash` (ignored when caching is off or the hash is known).
  void set_caching(bool enabled);
  bool caching() const { return caching_; }
  void register_block(int32_t block, uint64_t hash, uint64_t parent_hash, const int32_t* tokens,
                      int32_t n);
  // The cached block for this content (with a new reference), or nullopt.
  std::optional<int32_t> lookup(uint64_t hash, uint64_t parent_hash, const int32_t* tokens,
                                int32_t n);
  // Forgets every cached block (used ones keep their data, just not findable).
  void clear_cache();

  // Pins (references held under a key). pin() replaces an existing pin of that key.
  void pin(const std::string& key, const std::vector<int32_t>& blocks, int64_t n_tokens,
           int64_t now_ms);
  bool unpin(const std::string& key);
  void unpin_all();
  std::vector<PinInfo> pins() const;
  int32_t max_pins() const { return max_pins_; }
  void set_max_pins(int32_t n);

  uint64_t n_hits() const { return hits_; }    // lookups that found a block
  uint64_t n_misses() const { return misses_; }

 private:
  struct Block {
    int32_t refs = 0;
    bool cached = false;  // registered under hash
    uint64_t hash = 0, parent = 0;
    std::vector<int32_t> tokens;
    std::list<int32_t>::iterator lru;  // valid when cached && refs == 0
  };
  struct Pin {
    std::vector<int32_t> blocks;
    int64_t n_tokens = 0;
    int64_t at_ms = 0;
  };
  void forget(int32_t block);  // drop the hash of a block
  bool drop_oldest_pin();

  std::vector<Block> blocks_;
  std::vector<int32_t> free_;            // unreferenced, not cached
  std::list<int32_t> lru_;               // unreferenced, cached; front = least recently used
  std::unordered_map<uint64_t, int32_t> by_hash_;
  std::list<std::pair<std::string, Pin>> pins_;  // oldest first
  int32_t n_used_ = 0;
  int32_t limit_;
  int32_t max_pins_ = 64;
  bool caching_ = true;
  uint64_t hits_ = 0, misses_ = 0;
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
  // Appends a block the caller already holds a reference to (a prefix-cache hit).
  void append(int32_t block) { blocks_.push_back(block); }
  void clear();
  const std::vector<int32_t>& blocks() const { return blocks_; }
  int64_t capacity() const { return static_cast<int64_t>(blocks_.size()) * block_size_; }

 private:
  BlockPool* pool_;
  int32_t block_size_;
  std::vector<int32_t> blocks_;
};

}  // namespace impetus
