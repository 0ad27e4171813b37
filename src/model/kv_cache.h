// KvCache: the storage of the paged KV cache: for every layer one K and one
// V tensor of n_blocks * block_size slots, each slot holding one token's
// keys (or values) for all KV heads. Which blocks a sequence owns is decided
// elsewhere (engine/block_pool.h); the forward pass only follows block tables.
// Each layer's tensors live on the backend that runs the layer: make a
// model's cache with create(model, ...) so a model split between a GPU and
// the CPU (model.h) gets its layers' caches where they are used.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"

namespace impetus {

class Model;

class KvCache {
 public:
  // dtype: F32 or F16. Every layer on the model's layer_backend(il).
  static StatusOr<std::unique_ptr<KvCache>> create(const Model& model, int32_t n_blocks,
                                                   int32_t block_size, DType dtype = DType::kF16);
  // Every layer on one backend.
  static StatusOr<std::unique_ptr<KvCache>> create(Backend& backend, const ModelConfig& config,
                                                   int32_t n_blocks, int32_t block_size,
                                                   DType dtype = DType::kF16);
  // Layer il on layer_backend(il).
  static StatusOr<std::unique_ptr<KvCache>> create(
      const std::function<Backend&(int)>& layer_backend, const ModelConfig& config,
      int32_t n_blocks, int32_t block_size, DType dtype = DType::kF16);
  // Bytes one block takes across all layers (K and V).
  static size_t bytes_per_block(const ModelConfig& config, int32_t block_size, DType dtype);

  Tensor& k(int layer) { return k_[layer]; }  // {kv_dim, n_blocks * block_size}
  Tensor& v(int layer) { return v_[layer]; }
  Backend& layer_backend(int layer) const { return *backends_[static_cast<size_t>(layer)]; }
  int n_layers() const { return static_cast<int>(k_.size()); }
  int32_t n_blocks() const { return n_blocks_; }
  int32_t block_size() const { return block_size_; }
  DType dtype() const { return dtype_; }
  size_t n_bytes() const { return n_bytes_; }
  // Bytes of the layers on `backend`.
  size_t n_bytes_on(const Backend& backend) const;

 private:
  KvCache() = default;
  int32_t n_blocks_ = 0;
  int32_t block_size_ = 0;
  DType dtype_ = DType::kF16;
  size_t n_bytes_ = 0;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  std::vector<Tensor> k_, v_;
  std::vector<Backend*> backends_;  // per layer
};

}  // namespace impetus
