// Plain double-precision implementations of every backend op, written
// straight from their definitions in backend/backend.h. The backend
// conformance tests compare each backend (and each CPU ISA) against these.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"

namespace impetus::testing::ref {

// x rounded to int8 blocks of 32 as the CPU kernels' Q8 activations are
// (scale amax/127, round half away from zero), for quantized weight types.
std::vector<float> fake_quant_q8(const std::vector<float>& x);

// Weights are given dequantized (n_out rows of n_in floats).
std::vector<float> matmul(const std::vector<float>& w, int64_t n_in, int64_t n_out,
                          const std::vector<float>& x, int64_t n_tok);
std::vector<float> rms_norm(const std::vector<float>& x, int64_t n, const std::vector<float>& w,
                            float eps);
std::vector<float> rope(const std::vector<float>& x, int32_t n_heads, int32_t head_dim,
                        const std::vector<int32_t>& positions, const RopeParams& p);
std::vector<float> swiglu(const std::vector<float>& gate, const std::vector<float>& up);
// q (n_tok, n_head*head_dim); k, v per sequence: (n_ctx_of_seq, n_head_kv*head_dim) rows by position.
std::vector<float> attention(const std::vector<float>& q, const std::vector<int32_t>& positions,
                             const std::vector<int32_t>& seq_of_token,
                             const std::vector<std::vector<float>>& k_by_seq,
                             const std::vector<std::vector<float>>& v_by_seq,
                             const AttentionParams& p);

}  // namespace impetus::testing::ref
