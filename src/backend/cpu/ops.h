// The CPU op kernels, one per file in this folder. Each takes the thread
// pool it may split its work over. Shapes as documented in backend/backend.h.
#pragma once

#include "backend/backend.h"
#include "backend/cpu/kernels.h"
#include "core/thread_pool.h"

namespace impetus::cpu {

void get_rows(ThreadPool& pool, const Tensor& table, const int32_t* ids, int64_t n, Tensor& out);
void rms_norm(ThreadPool& pool, const Tensor& x, const Tensor& w, float eps, Tensor& y);
void rope(ThreadPool& pool, Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
          const RopeParams& p);
void swiglu(ThreadPool& pool, const Tensor& gate, const Tensor& up, Tensor& out);
void add(ThreadPool& pool, const Tensor& a, const Tensor& b, Tensor& out);
void add_bias(ThreadPool& pool, Tensor& y, const Tensor& bias);
void kv_store(ThreadPool& pool, const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
              const BatchInfo& batch);
void attention(ThreadPool& pool, const KernelTable& kt, const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
               const BatchInfo& batch, const AttentionParams& p, Tensor& out);

}  // namespace impetus::cpu
