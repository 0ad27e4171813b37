// Element types of tensors, numbered exactly as GGUF/ggml number them so a
// file's type field maps straight to a DType. Quantized types store blocks of
// `block_size` elements in `type_size` bytes (layouts in quant/blocks.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace impetus {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct DTypeInfo {
  DType type;
  const char* name;     // "Q4_K", as llama.cpp prints it
  int64_t block_size;   // elements per block (1 for plain types)
  int64_t type_size;    // bytes per block
  bool is_quantized;
  bool supported;       // this build can dequantize it (and so run a model holding it)
};

// Info for a raw GGUF type number, or nullopt if the number is not a known type.
std::optional<DTypeInfo> dtype_info(uint32_t raw);
const DTypeInfo& dtype_info(DType type);

inline std::string_view dtype_name(DType t) { return dtype_info(t).name; }
inline int64_t dtype_block_size(DType t) { return dtype_info(t).block_size; }
inline int64_t dtype_type_size(DType t) { return dtype_info(t).type_size; }

// Parses "q4_0", "Q4_K", "f16", "bf16", ... (case-insensitive).
StatusOr<DType> dtype_from_name(std::string_view name);

// Bytes taken by a row of n elements; n must be a multiple of the block size.
int64_t dtype_row_bytes(DType t, int64_t n);

}  // namespace impetus
