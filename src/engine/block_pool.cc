#include "engine/block_pool.h"

#include <algorithm>

namespace impetus {

uint64_t hash_block(uint64_t parent_hash, const int32_t* tokens, int32_t n) {
  // splitmix64-style mixing of each token into the running value.
  uint64_t h = parent_hash ^ 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(n);
  for (int32_t i = 0; i < n; ++i) {
    h ^= static_cast<uint64_t>(static_cast<uint32_t>(tokens[i])) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
  }
  return h == 0 ? 1 : h;  // 0 is "no parent"
}

BlockPool::BlockPool(int32_t n_blocks) : blocks_(static_cast<size_t>(n_blocks)), limit_(n_blocks) {
  free_.reserve(static_cast<size_t>(n_blocks));
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

int32_t BlockPool::n_free() const {
  const int32_t avail = static_cast<int32_t>(free_.size() + lru_.size());
  return std::max(0, std::min(avail, limit_ - n_used_));
}

int32_t BlockPool::n_cached() const { return static_cast<int32_t>(by_hash_.size()); }

void BlockPool::forget(int32_t block) {
  Block& b = blocks_[static_cast<size_t>(block)];
  if (!b.cached) return;
  auto it = by_hash_.find(b.hash);
  if (it != by_hash_.end() && it->second == block) by_hash_.erase(it);
  b.cached = false;
  b.tokens.clear();
  if (b.refs == 0) {
    lru_.erase(b.lru);
    free_.push_back(block);
  }
}

void BlockPool::set_limit(int32_t limit) {
  limit_ = std::clamp(limit, 0, n_blocks());
  // Cached blocks beyond what the limit leaves room for are forgotten.
  while (!lru_.empty() && n_used_ + static_cast<int32_t>(lru_.size()) > limit_) forget(lru_.front());
}

bool BlockPool::drop_oldest_pin() {
  if (pins_.empty()) return false;
  for (int32_t b : pins_.front().second.blocks) release(b);
  pins_.pop_front();
  return true;
}

std::optional<int32_t> BlockPool::allocate() {
  for (;;) {
    if (n_used_ < limit_) {
      int32_t b = -1;
      if (!free_.empty()) {
        b = free_.back();
        free_.pop_back();
      } else if (!lru_.empty()) {
        b = lru_.front();
        forget(b);  // moves it to free_
        free_.pop_back();
      }
      if (b >= 0) {
        blocks_[static_cast<size_t>(b)].refs = 1;
        ++n_used_;
        return b;
      }
    }
    if (!drop_oldest_pin()) return std::nullopt;
  }
}

void BlockPool::add_ref(int32_t block) {
  Block& b = blocks_[static_cast<size_t>(block)];
  if (b.refs == 0) {
    IMP_CHECK(b.cached, "add_ref on a free block ", block);
    lru_.erase(b.lru);
    ++n_used_;
  }
  ++b.refs;
}

bool BlockPool::release(int32_t block) {
  Block& b = blocks_[static_cast<size_t>(block)];
  IMP_CHECK(b.refs > 0, "release of a free block ", block);
  if (--b.refs > 0) return false;
  --n_used_;
  if (b.cached && caching_) {
    b.lru = lru_.insert(lru_.end(), block);
  } else {
    b.cached = false;
    free_.push_back(block);
  }
  return true;
}

void BlockPool::set_caching(bool enabled) {
  caching_ = enabled;
  if (!enabled) clear_cache();
}

void BlockPool::register_block(int32_t block, uint64_t hash, uint64_t parent_hash,
                               const int32_t* tokens, int32_t n) {
  if (!caching_) return;
  Block& b = blocks_[static_cast<size_t>(block)];
  if (b.cached || by_hash_.count(hash)) return;
  b.cached = true;
  b.hash = hash;
  b.parent = parent_hash;
  b.tokens.assign(tokens, tokens + n);
  by_hash_[hash] = block;
}

std::optional<int32_t> BlockPool::lookup(uint64_t hash, uint64_t parent_hash, const int32_t* tokens,
                                         int32_t n) {
  if (!caching_) return std::nullopt;
  auto it = by_hash_.find(hash);
  if (it != by_hash_.end()) {
    const Block& b = blocks_[static_cast<size_t>(it->second)];
    if (b.parent == parent_hash && static_cast<int32_t>(b.tokens.size()) == n &&
        std::equal(tokens, tokens + n, b.tokens.begin()) && (b.refs > 0 || n_used_ < limit_)) {
      ++hits_;
      add_ref(it->second);
      return it->second;
    }
  }
  ++misses_;
  return std::nullopt;
}

void BlockPool::clear_cache() {
  std::vector<int32_t> cached;
  for (const auto& [h, b] : by_hash_) cached.push_back(b);
  for (int32_t b : cached) forget(b);
}

void BlockPool::pin(const std::string& key, const std::vector<int32_t>& blocks, int64_t n_tokens,
                    int64_t now_ms) {
  unpin(key);
  if (max_pins_ <= 0) return;
  for (int32_t b : blocks) add_ref(b);
  pins_.push_back({key, Pin{blocks, n_tokens, now_ms}});
  while (static_cast<int32_t>(pins_.size()) > max_pins_) drop_oldest_pin();
}

bool BlockPool::unpin(const std::string& key) {
  for (auto it = pins_.begin(); it != pins_.end(); ++it) {
    if (it->first == key) {
      for (int32_t b : it->second.blocks) release(b);
      pins_.erase(it);
      return true;
    }
  }
  return false;
}

void BlockPool::unpin_all() {
  while (drop_oldest_pin()) {
  }
}

std::vector<PinInfo> BlockPool::pins() const {
  std::vector<PinInfo> out;
  for (const auto& [key, p] : pins_) {
    out.push_back({key, static_cast<int32_t>(p.blocks.size()), p.n_tokens, p.at_ms});
  }
  return out;
}

void BlockPool::set_max_pins(int32_t n) {
  max_pins_ = std::max(0, n);
  while (static_cast<int32_t>(pins_.size()) > max_pins_) drop_oldest_pin();
}

BlockTable::BlockTable(BlockTable&& other) noexcept
    : pool_(other.pool_), block_size_(other.block_size_), blocks_(std::move(other.blocks_)) {
  other.blocks_.clear();
}

BlockTable& BlockTable::operator=(BlockTable&& other) noexcept {
  if (this != &other) {
    clear();
    pool_ = other.pool_;
    block_size_ = other.block_size_;
    blocks_ = std::move(other.blocks_);
    other.blocks_.clear();
  }
  return *this;
}

Status BlockTable::reserve(int64_t n_tokens) {
  while (capacity() < n_tokens) {
    auto b = pool_->allocate();
    if (!b) return resource_exhausted("the KV cache is full");
    blocks_.push_back(*b);
  }
  return ok_status();
}

void BlockTable::clear() {
  for (int32_t b : blocks_) pool_->release(b);
  blocks_.clear();
}

}  // namespace impetus
