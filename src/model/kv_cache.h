// KvCache: the storage of the paged KV cache: for every layer one K and one
// V tensor of n_blocks * block_size slots, each slot holding one token's
// keys (or values) for all KV heads. Which blocks a sequence owns is decided
// elsewhere (engine/block_pool.h); the forward pass only follows block tables.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"

namespace impetus {

class KvCache {
 public:
  // dtype: F32 or F16.
  static StatusOr<std::unique_ptr<KvCache>> create(Backend& backend, const ModelConfig& config,
                                                   int32_t n_blocks, int32_t block_size,
                                                   DType dtype = DType::kF16);
  // Bytes one block takes across all layers (K and V).
  static size_t bytes_per_block(const ModelConfig& config, int32_t block_size, DType dtype);

  Tensor& k(int layer) { return k_[layer]; }  // {kv_dim, n_blocks * block_size}
  Tensor& v(int layer) { return v_[layer]; }
  int32_t n_blocks() const { return n_blocks_; }
  int32_t block_size() const { return block_size_; }
  DType dtype() const { return dtype_; }
  size_t n_bytes() const { return n_bytes_; }

 private:
  KvCache() = default;
  int32_t n_blocks_ = 0;
  int32_t block_size_ = 0;
  DType dtype_ = DType::kF16;
  size_t n_bytes_ = 0;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<Tensor> k_, v_;
};

}  // namespace impetus
