#include "engine/block_pool.h"

namespace impetus {

BlockPool::BlockPool(int32_t n_blocks) : ref_counts_(static_cast<size_t>(n_blocks), 0) {
  free_.reserve(static_cast<size_t>(n_blocks));
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

std::optional<int32_t> BlockPool::allocate() {
  if (free_.empty()) return std::nullopt;
  const int32_t b = free_.back();
  free_.pop_back();
  ref_counts_[static_cast<size_t>(b)] = 1;
  return b;
}

void BlockPool::add_ref(int32_t block) {
  IMP_CHECK(ref_counts_[static_cast<size_t>(block)] > 0, "add_ref on a free block");
  ++ref_counts_[static_cast<size_t>(block)];
}

bool BlockPool::release(int32_t block) {
  auto& rc = ref_counts_[static_cast<size_t>(block)];
  IMP_CHECK(rc > 0, "release of a free block ", block);
  if (--rc == 0) {
    free_.push_back(block);
    return true;
  }
  return false;
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
