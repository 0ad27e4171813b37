// attention: causal multi-head attention (with grouped KV heads) of each
// batch token over the cached keys/values of its own sequence, read through
// the sequence's block table. Softmax is computed stably (max subtracted).
#include <cmath>
#include <vector>

#include "backend/cpu/ops.h"
#include "core/fp16.h"

namespace impetus::cpu {

namespace {

inline float load(const Tensor& cache, int64_t index) {
  if (cache.type == DType::kF32) return cache.f32()[index];
  return f16_to_f32(static_cast<const uint16_t*>(cache.data)[index]);
}

}  // namespace

void attention(ThreadPool& pool, const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
               const BatchInfo& batch, const AttentionParams& p, Tensor& out) {
  const int64_t q_dim = static_cast<int64_t>(p.n_head) * p.head_dim;
  const int64_t kv_dim = static_cast<int64_t>(p.n_head_kv) * p.head_dim;
  const int32_t group = p.n_head / p.n_head_kv;
  IMP_CHECK(q.ne[0] == q_dim && k_cache.ne[0] == kv_dim, "attention shape mismatch");
  const int64_t n_tasks = batch.n_tokens() * p.n_head;
  pool.parallel_ranges(n_tasks, [&](int64_t task0, int64_t task1) {
    std::vector<float> scores;
    std::vector<int64_t> slots;
    std::vector<float> acc(static_cast<size_t>(p.head_dim));
    for (int64_t task = task0; task < task1; ++task) {
      const int64_t t = task / p.n_head;
      const int32_t h = static_cast<int32_t>(task % p.n_head);
      const int32_t seq = batch.seq_of_token[t];
      const int32_t n_ctx = batch.positions[t] + 1;
      const float* qv = q.f32() + t * q_dim + static_cast<int64_t>(h) * p.head_dim;
      const int64_t kv_off = static_cast<int64_t>(h / group) * p.head_dim;
      scores.resize(static_cast<size_t>(n_ctx));
      slots.resize(static_cast<size_t>(n_ctx));
      float max_score = -INFINITY;
      for (int32_t j = 0; j < n_ctx; ++j) {
        const int64_t base = batch.slot(seq, j) * kv_dim + kv_off;
        slots[j] = base;
        float s = 0.0f;
        for (int32_t d = 0; d < p.head_dim; ++d) s += qv[d] * load(k_cache, base + d);
        s *= p.scale;
        scores[j] = s;
        max_score = std::max(max_score, s);
      }
      double sum = 0.0;
      for (int32_t j = 0; j < n_ctx; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += scores[j];
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int32_t j = 0; j < n_ctx; ++j) {
        const float w = scores[j];
        for (int32_t d = 0; d < p.head_dim; ++d) acc[d] += w * load(v_cache, slots[j] + d);
      }
      float* o = out.f32() + t * q_dim + static_cast<int64_t>(h) * p.head_dim;
      const float inv = static_cast<float>(1.0 / sum);
      for (int32_t d = 0; d < p.head_dim; ++d) o[d] = acc[d] * inv;
    }
  });
}

}  // namespace impetus::cpu
