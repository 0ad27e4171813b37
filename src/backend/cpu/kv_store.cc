// kv_store: copies each token's key and value rows into its slot of the
// paged KV cache (F32 or F16 cache).
#include <cstring>

#include "backend/cpu/ops.h"
#include "core/fp16.h"

namespace impetus::cpu {

namespace {

void store_row(const float* src, Tensor& cache, int64_t slot, int64_t n) {
  if (cache.type == DType::kF32) {
    std::memcpy(cache.f32() + slot * n, src, static_cast<size_t>(n) * sizeof(float));
  } else {
    auto* dst = static_cast<uint16_t*>(cache.data) + slot * n;
    for (int64_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
  }
}

}  // namespace

void kv_store(ThreadPool& pool, const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
              const BatchInfo& batch) {
  const int64_t kv_dim = k.ne[0];
  IMP_CHECK(k_cache.ne[0] == kv_dim && v_cache.ne[0] == kv_dim, "kv_store shape mismatch");
  pool.parallel_for(batch.n_tokens(), [&](int64_t t) {
    const int64_t slot = batch.slot(batch.seq_of_token[t], batch.positions[t]);
    store_row(k.f32() + t * kv_dim, k_cache, slot, kv_dim);
    store_row(v.f32() + t * kv_dim, v_cache, slot, kv_dim);
  });
}

}  // namespace impetus::cpu
