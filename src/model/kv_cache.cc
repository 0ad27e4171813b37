#include "model/kv_cache.h"

#include "model/model.h"

namespace impetus {

size_t KvCache::bytes_per_block(const ModelConfig& config, int32_t block_size, DType dtype) {
  return static_cast<size_t>(config.n_layer) * 2 * static_cast<size_t>(block_size) *
         static_cast<size_t>(dtype_row_bytes(dtype, config.kv_dim()));
}

StatusOr<std::unique_ptr<KvCache>> KvCache::create(const Model& model, int32_t n_blocks,
                                                   int32_t block_size, DType dtype) {
  return create([&model](int il) -> Backend& { return model.layer_backend(il); }, model.config(),
                n_blocks, block_size, dtype);
}

StatusOr<std::unique_ptr<KvCache>> KvCache::create(Backend& backend, const ModelConfig& config,
                                                   int32_t n_blocks, int32_t block_size,
                                                   DType dtype) {
  return create([&backend](int) -> Backend& { return backend; }, config, n_blocks, block_size,
                dtype);
}

StatusOr<std::unique_ptr<KvCache>> KvCache::create(
    const std::function<Backend&(int)>& layer_backend, const ModelConfig& config, int32_t n_blocks,
    int32_t block_size, DType dtype) {
  if (dtype != DType::kF32 && dtype != DType::kF16) {
    return invalid_argument("KV cache type must be F32 or F16");
  }
  if (n_blocks <= 0 || block_size <= 0) return invalid_argument("KV cache needs blocks");
  std::unique_ptr<KvCache> cache(new KvCache());
  cache->n_blocks_ = n_blocks;
  cache->block_size_ = block_size;
  cache->dtype_ = dtype;
  const int64_t n_slots = static_cast<int64_t>(n_blocks) * block_size;
  for (int il = 0; il < config.n_layer; ++il) {
    Backend& backend = layer_backend(il);
    cache->backends_.push_back(&backend);
    for (int kv = 0; kv < 2; ++kv) {
      Tensor t{dtype, {config.kv_dim(), n_slots, 1, 1}, nullptr};
      IMP_ASSIGN_OR_RETURN(auto buf, backend.alloc(t.n_bytes()));
      t.data = buf->data();
      cache->n_bytes_ += t.n_bytes();
      cache->buffers_.push_back(std::move(buf));
      (kv == 0 ? cache->k_ : cache->v_).push_back(t);
    }
  }
  return cache;
}

size_t KvCache::n_bytes_on(const Backend& backend) const {
  size_t n = 0;
  for (size_t il = 0; il < backends_.size(); ++il) {
    if (backends_[il] == &backend) n += k_[il].n_bytes() + v_[il].n_bytes();
  }
  return n;
}

}  // namespace impetus
