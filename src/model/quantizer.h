// quantize_model: rewrites a GGUF model with its weight matrices converted to
// another type (what `impetus quantize` runs). Metadata is copied; 1-D
// tensors (norms, biases) stay F32; matrices whose rows do not fit the
// target's block size fall back to F16 (or stay as they are).
//
// Targets: any quantizable DType ("Q8_0", "Q4_0", "Q4_K", "Q6_K", "F16", ...)
// and the mixes "Q4_K_M" / "Q5_K_M" (llama.cpp-like: output and part of the
// attn_v / ffn_down matrices get Q6_K, the rest Q4_K / Q5_K).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace impetus {

struct QuantizeStats {
  int32_t n_quantized = 0;  // tensors converted
  int32_t n_kept = 0;       // tensors copied unchanged
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

StatusOr<QuantizeStats> quantize_model(const std::string& in_path, const std::string& out_path,
                                       const std::string& target, int n_threads = 1);

}  // namespace impetus
