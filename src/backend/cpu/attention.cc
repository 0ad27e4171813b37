// attention: causal multi-head attention (with grouped KV heads) of each
// batch token over the cached keys/values of its own sequence, read through
// the sequence's block table. Two passes per (token, head): scores with a
// stable softmax, then the weighted sum of values; the inner loops are the
// ISA's KV kernels.
#include <cmath>
#include <vector>

#include "backend/cpu/ops.h"

namespace impetus::cpu {

void attention(ThreadPool& pool, const KernelTable& kt, const Tensor& q, const Tensor& k_cache,
               const Tensor& v_cache, const BatchInfo& batch, const AttentionParams& p,
               Tensor& out) {
  const int64_t q_dim = static_cast<int64_t>(p.n_head) * p.head_dim;
  const int64_t kv_dim = static_cast<int64_t>(p.n_head_kv) * p.head_dim;
  const int32_t group = p.n_head / p.n_head_kv;
  IMP_CHECK(q.ne[0] == q_dim && k_cache.ne[0] == kv_dim, "attention shape mismatch");
  const KvKernels& kk = kt.kv(k_cache.type);
  const KvKernels& vk = kt.kv(v_cache.type);
  const size_t k_row = static_cast<size_t>(k_cache.row_bytes());
  const size_t v_row = static_cast<size_t>(v_cache.row_bytes());
  const size_t elem = static_cast<size_t>(dtype_type_size(k_cache.type));
  const auto* kb = static_cast<const uint8_t*>(k_cache.data);
  const auto* vb = static_cast<const uint8_t*>(v_cache.data);
  const int64_t n_tasks = batch.n_tokens() * p.n_head;
  auto work = [&](int64_t task0, int64_t task1) {
    std::vector<float> scores;
    std::vector<float> acc(static_cast<size_t>(p.head_dim));
    for (int64_t task = task0; task < task1; ++task) {
      const int64_t t = task / p.n_head;
      const int32_t h = static_cast<int32_t>(task % p.n_head);
      const int32_t seq = batch.seq_of_token[t];
      const int32_t n_ctx = batch.positions[t] + 1;
      const float* qv = q.f32() + t * q_dim + static_cast<int64_t>(h) * p.head_dim;
      const size_t head_off = static_cast<size_t>(h / group) * static_cast<size_t>(p.head_dim) * elem;
      scores.resize(static_cast<size_t>(n_ctx));
      float max_score = -INFINITY;
      for (int32_t j = 0; j < n_ctx; ++j) {
        const size_t slot = static_cast<size_t>(batch.slot(seq, j));
        const float s = kk.dot(p.head_dim, kb + slot * k_row + head_off, qv) * p.scale;
        scores[static_cast<size_t>(j)] = s;
        max_score = std::max(max_score, s);
      }
      double sum = 0.0;
      for (auto& s : scores) {
        s = std::exp(s - max_score);
        sum += s;
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int32_t j = 0; j < n_ctx; ++j) {
        const size_t slot = static_cast<size_t>(batch.slot(seq, j));
        vk.axpy(p.head_dim, scores[static_cast<size_t>(j)], vb + slot * v_row + head_off, acc.data());
      }
      float* o = out.f32() + t * q_dim + static_cast<int64_t>(h) * p.head_dim;
      const float inv = static_cast<float>(1.0 / sum);
      for (int32_t d = 0; d < p.head_dim; ++d) o[d] = acc[static_cast<size_t>(d)] * inv;
    }
  };
  // One token with a short context is less work than waking the pool.
  if (batch.n_tokens() == 1 && batch.positions[0] < 64) {
    work(0, n_tasks);
  } else {
    pool.parallel_ranges(n_tasks, work);
  }
}

}  // namespace impetus::cpu
