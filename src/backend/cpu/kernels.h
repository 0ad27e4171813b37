// The CPU kernel table: for every instruction-set level, the functions the
// CPU ops call in their inner loops. The scalar table is the reference; each
// SIMD level starts from it and overrides what it implements faster, and the
// conformance tests prove every override equal to the scalar kernel.
//
// Matrix products read weights in their stored type and activations in the
// weight type's "activation format":
//   kF32  (F32, F16, BF16 weights): plain float rows;
//   kQ8   (every quantized type):   per 32 elements, int8 quants with a float
//         scale d and s = d * sum(quants), laid out per row as
//         [int8 qs[n]] [float d[n/32]] [float s[n/32]] (act_row_bytes()).
// so a dot product of a quantized row is an integer dot per block scaled by
// the weight's and the activation's scales, as llama.cpp does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/cpu/isa.h"
#include "tensor/dtype.h"

namespace impetus::cpu {

enum class ActFormat { kF32, kQ8 };

inline constexpr int kActBlock = 32;  // elements per Q8 activation block

// Bytes of one activation row of n elements (rounded up to 64 for alignment).
size_t act_row_bytes(ActFormat format, int64_t n);

// Views into a Q8 activation row.
inline const int8_t* act_q8_qs(const void* row) { return static_cast<const int8_t*>(row); }
inline const float* act_q8_d(const void* row, int64_t n) {
  return reinterpret_cast<const float*>(static_cast<const uint8_t*>(row) + n);
}
inline const float* act_q8_s(const void* row, int64_t n) { return act_q8_d(row, n) + n / kActBlock; }

// x (n floats) -> one Q8 activation row (n % 32 == 0).
using QuantizeActFn = void (*)(const float* x, int64_t n, void* out);
// Dot product of one weight row (n elements in its stored type) with one
// activation row (n elements in the type's activation format).
using VecDotFn = float (*)(int64_t n, const void* w_row, const void* act_row);
// out[r] = dot(w row r, act row) for r < nr, rows w_stride bytes apart: the
// decode form (one activation row against a stretch of weight rows), free to
// prepare the activation once and reuse it for every row. Null in a table:
// the driver calls vec_dot per row (the same result, as tests prove).
using VecDotRowsFn = void (*)(int64_t n, int64_t nr, const uint8_t* w, size_t w_stride,
                              const uint8_t* act, float* out);
// out[t * out_stride + r] = dot(w row r, act row t) for r < nr, t < nt: a tile
// of a matrix product, free to reuse loads across rows and tokens.
using GemmFn = void (*)(int64_t n, int64_t nr, int64_t nt, const uint8_t* w, size_t w_stride,
                        const uint8_t* act, size_t act_stride, float* out, size_t out_stride);

// Attention over the KV cache (F32 or F16 rows): a key row dotted with a
// float query, and acc += a * value row.
using KvDotFn = float (*)(int64_t n, const void* k_row, const float* q);
using KvAxpyFn = void (*)(int64_t n, float a, const void* v_row, float* acc);

struct KvKernels {
  KvDotFn dot = nullptr;
  KvAxpyFn axpy = nullptr;
};

struct TypeKernels {
  ActFormat act = ActFormat::kF32;
  VecDotFn vec_dot = nullptr;  // null: the type has no matrix kernels
  GemmFn gemm = nullptr;       // null: tiles fall back to vec_dot
  VecDotRowsFn vec_dot_rows = nullptr;  // null: decode calls vec_dot per row
};

inline constexpr int kMaxDTypes = 32;  // DType values are < 32

struct KernelTable {
  Isa isa = Isa::kScalar;
  QuantizeActFn quantize_q8 = nullptr;
  TypeKernels types[kMaxDTypes];
  KvKernels kv_f32, kv_f16;  // for F32 and F16 KV caches

  const TypeKernels& of(DType t) const { return types[static_cast<uint32_t>(t)]; }
  const KvKernels& kv(DType cache_type) const {
    return cache_type == DType::kF16 ? kv_f16 : kv_f32;
  }
};

// The table for a level (which must be supported by this CPU and build).
const KernelTable& kernel_table(Isa isa);

// Each level's table, filled by its own file (kernels_<isa>.cc); they start
// from a copy of the scalar table.
void fill_scalar_kernels(KernelTable& t);
void fill_avx2_kernels(KernelTable& t);
void fill_avx512_kernels(KernelTable& t);
void fill_neon_kernels(KernelTable& t);

}  // namespace impetus::cpu
