// argmax_row: the greedy choice over a row of scores, shared by the sampler
// and the backends: the largest value, the lowest index among equals; NaN
// never wins and a row with nothing above -inf gives 0. The CUDA argmax
// kernel (backend/cuda/argmax.cu) follows the same rule.
#pragma once

#include <cstdint>
#include <limits>

namespace impetus {

inline int32_t argmax_row(const float* x, int64_t n) {
  int32_t best = 0;
  float best_value = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] > best_value) {
      best_value = x[i];
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

}  // namespace impetus
