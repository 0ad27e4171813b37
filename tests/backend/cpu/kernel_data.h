// Test data for the CPU kernel tests: weight rows of every matrix type in
// several flavours (quantized random floats, random raw bytes, all-max and
// all-zero quants, zero rows), activation rows (normal, huge, tiny, constant,
// zero), and the reference magnitude sum |w_i * a_i| that tolerances scale with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/cpu/kernels.h"
#include "tensor/dtype.h"

namespace impetus::testing {

// Every weight type that has matrix kernels.
const std::vector<DType>& kernel_types();

enum class WeightKind { kQuantized, kRawBytes, kMaxQuants, kMinQuants, kZeroRow };
const std::vector<WeightKind>& weight_kinds();
std::string weight_kind_name(WeightKind k);

// n_rows rows of n elements of `type`, rows back to back (row_bytes apart).
std::vector<uint8_t> make_weights(DType type, WeightKind kind, int64_t n, int64_t n_rows,
                                  uint64_t seed);

enum class ActKind { kNormal, kHuge, kTiny, kConstant, kZero, kHalves, kSubnormalScale };
const std::vector<ActKind>& act_kinds();
std::string act_kind_name(ActKind k);

// n_tok rows of n floats.
std::vector<float> make_acts(ActKind kind, int64_t n, int64_t n_tok, uint64_t seed);

// Activation rows in the type's format (act_stride bytes apart), made with
// the scalar quantize_q8 for quantized types.
struct ActRows {
  std::vector<uint8_t> bytes;
  size_t stride = 0;
  const uint8_t* row(int64_t t) const { return bytes.data() + static_cast<size_t>(t) * stride; }
};
ActRows make_act_rows(cpu::ActFormat format, const std::vector<float>& x, int64_t n, int64_t n_tok);

// In double precision, over the dequantized weights w and activations a:
// dot = sum_i w_i * a_i and mag = sum_i |w_i * a_i| (what tolerances scale with).
struct RefDot {
  double dot = 0.0, mag = 0.0;
};
RefDot ref_dot(DType type, const uint8_t* w_row, cpu::ActFormat format, const uint8_t* act_row,
               int64_t n);

}  // namespace impetus::testing
