// Byte layouts of the quantized block types, identical to ggml's (ggml-common.h)
// so that tensors read from GGUF files can be used in place. Every fast kernel
// (CPU SIMD, CUDA) reads blocks through these structs; the static_asserts pin
// the sizes to dtype_type_size(). Scales `d`/`dmin`/`m` are IEEE half floats
// stored as raw bits (convert with f16_to_f32 from core/fp16.h). All multi-byte
// fields are little-endian, as on every platform we build for.
//
// Element order within a block (n = elements per block):
//   Q4_0/Q4_1:  qs[j] low nibble = element j, high nibble = element j + 16.
//   Q5_0/Q5_1:  as Q4, plus bit j of the little-endian uint32 in qh = bit 4 of
//               element j (bits 0..15) and bit j+16 = bit 4 of element j+16.
//   Q8_0/Q8_K:  qs[j] = element j.
//   Q4_K/Q5_K:  256 elements in 4 chunks of 64; chunk c uses qs[32c..32c+31]:
//               low nibbles are elements 64c+0..31 (sub-block 2c), high
//               nibbles are elements 64c+32..63 (sub-block 2c+1). Q5_K adds
//               bit 2c (low half) / 2c+1 (high half) of qh[l] as bit 4.
//               value = d * scale[sb] * q - dmin * min[sb] (see
//               k_scale_min() for the 6-bit scale/min packing).
//   Q6_K:       2 halves of 128; in half h, for l < 32 and quarter g < 4,
//               element 128h + 32g + l takes its low 4 bits from
//               ql[64h + l + 32*(g&1)] (low nibble for g < 2, else high) and its
//               high 2 bits from bits 2g..2g+1 of qh[32h + l]; q is that 6-bit
//               value - 32 and value = d * scales[element / 16] * q.
#pragma once

#include <cstdint>

namespace impetus {

inline constexpr int kQK = 32;           // elements per legacy block (Q4_0 .. Q8_0)
inline constexpr int kQK_K = 256;        // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;  // packed 6-bit scales + mins of Q4_K/Q5_K

struct BlockQ4_0 {
  uint16_t d;           // scale (f16): value = (q - 8) * d
  uint8_t qs[kQK / 2];  // 4-bit quants, two per byte
};

struct BlockQ4_1 {
  uint16_t d;  // scale (f16)
  uint16_t m;  // offset (f16): value = q * d + m
  uint8_t qs[kQK / 2];
};

struct BlockQ5_0 {
  uint16_t d;           // scale (f16): value = (q - 16) * d
  uint8_t qh[4];        // 5th bits, one per element
  uint8_t qs[kQK / 2];  // low 4 bits
};

struct BlockQ5_1 {
  uint16_t d;  // scale (f16)
  uint16_t m;  // offset (f16): value = q * d + m
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};

struct BlockQ8_0 {
  uint16_t d;  // scale (f16): value = q * d
  int8_t qs[kQK];
};

struct BlockQ4_K {
  uint16_t d;                    // super-block scale for the 6-bit scales (f16)
  uint16_t dmin;                 // super-block scale for the 6-bit mins (f16)
  uint8_t scales[kKScaleBytes];  // 8 scales + 8 mins, 6 bits each
  uint8_t qs[kQK_K / 2];         // 4-bit quants
};

struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];  // 5th bits
  uint8_t qs[kQK_K / 2];  // low 4 bits
};

struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits
  uint8_t qh[kQK_K / 4];      // high 2 bits
  int8_t scales[kQK_K / 16];  // one 8-bit scale per 16 elements
  uint16_t d;                 // super-block scale (f16)
};

struct BlockQ8_K {
  float d;  // scale (f32): value = q * d
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];  // sum of each group of 16 quants
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Unpacks the 6-bit scale and min of sub-block j (0..7) from Q4_K/Q5_K
// `scales`: sub-blocks 0..3 keep theirs in the low 6 bits of bytes j and j+4;
// sub-blocks 4..7 keep the low 4 bits in byte j+4 (scale: low nibble, min:
// high nibble) and the top 2 bits in bits 6..7 of bytes j-4 (scale) and j (min).
inline void k_scale_min(int j, const uint8_t* scales, int* scale, int* min) {
  if (j < 4) {
    *scale = scales[j] & 63;
    *min = scales[j + 4] & 63;
  } else {
    *scale = (scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4);
    *min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// Inverse of k_scale_min for all 8 sub-blocks; scale[j], min[j] in 0..63.
inline void k_pack_scale_min(const uint8_t* scale, const uint8_t* min, uint8_t* scales) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>((scale[j] & 63) | ((scale[j + 4] >> 4) << 6));
    scales[j + 4] = static_cast<uint8_t>((min[j] & 63) | ((min[j + 4] >> 4) << 6));
    scales[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0x0f) | ((min[j + 4] & 0x0f) << 4));
  }
}

}  // namespace impetus
