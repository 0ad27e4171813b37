// The rotation angles of one token's position for RoPE, shared by the RoPE
// kernel (rope_kv.cu) and the attention kernel that rotates q and k itself
// (attention.cu): computed in double precision as the CPU does
// (backend/cpu/rope.cc), cos_s[i] and sin_s[i] for i < n_rot / 2, by the
// block's kThreads threads. Positions and frequency factors are written by
// no kernel, so callers may run this before waiting for the previous one.
#pragma once

#include "backend/cuda/kernels.h"

namespace impetus::cuda {

template <int kThreads>
__device__ __forceinline__ void rope_angles(const RopeArgs& r, int64_t t, float* cos_s, float* sin_s) {
  const int half = r.n_rot / 2;
  const double pos = r.positions[t];
  for (int i = threadIdx.x; i < half; i += kThreads) {
    double f = pow(static_cast<double>(r.freq_base), -2.0 * i / r.n_rot) * static_cast<double>(r.freq_scale);
    if (r.freq_factors != nullptr) f /= static_cast<double>(r.freq_factors[i]);
    const double theta = pos * f;
    cos_s[i] = static_cast<float>(cos(theta));
    sin_s[i] = static_cast<float>(sin(theta));
  }
}

}  // namespace impetus::cuda
