// The CPU matrix product driver (see matmul.cc).
#pragma once

#include <vector>

#include "backend/cpu/kernels.h"
#include "backend/tensor.h"
#include "core/thread_pool.h"

namespace impetus::cpu {

// Reusable buffer for activations converted to Q8 blocks.
struct MatmulScratch {
  std::vector<uint8_t> q8;
  void reserve(size_t bytes);
};

// ys[i] = x . ws[i]^T for i < n; all ws share x's row length.
void matmul_n(ThreadPool& pool, const KernelTable& kt, MatmulScratch& scratch, const Tensor* ws,
              int n, const Tensor& x, Tensor* ys);

}  // namespace impetus::cpu
