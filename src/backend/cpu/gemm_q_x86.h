// The quantized GEMM tile driver shared by the AVX2 and AVX-512 files.
//
// A tile is up to 16 weight rows x 256 tokens. The weights are walked in
// chunks of 8 blocks of 32 (256 elements, one K-quant super-block); each
// chunk is decoded once into a packed, row-interleaved int8 layout
//   q[block][g][row][4]   (g: group of 4 consecutive elements, 8 per block)
// plus per-row float scales, so the ISA's micro-kernel can multiply one
// vector of 4 quants x 16 rows by a broadcast group of 4 activation bytes of
// a token (vpdpbusd / maddubs) and keep one accumulator lane per row. The
// packing is paid once per chunk and reused by all tokens of the tile.
//
// Zero points (kZero) are handled in integers: each block's accumulator
// starts at -kZero * sum(activations of the block), so the integer dot is
// exact. The block sums come from the activation row's d and s (s = d * sum,
// so sum = round(s / d), exact for normal d); Q6_K needs sums of 16, taken
// from the quants themselves.
//
// A Micro policy supplies the ISA parts:
//   static constexpr int kT;   tokens per micro-kernel call
//   template <int T, class D> static void run(const PackedChunk&, int n_units,
//       const int8_t* a, size_t a_stride, const float* dsa, const int32_t* zs, float* c);
//   static void store(const float* c, float* out, int nr);   // 16 lanes -> nr floats
// Internal linkage: see quant_x86.h.
#pragma once

#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "backend/cpu/kernels.h"
#include "backend/cpu/quant_x86.h"
#include "backend/cpu/x86_intrin.h"

namespace impetus::cpu {
namespace {  // NOLINT(google-build-namespaces)

constexpr int kTileRows = 16;    // weight rows per tile = accumulator lanes
constexpr int kTileTokens = 256;  // tokens per tile: weights are decoded once per tile
constexpr int kChunkBlocks = 8;  // 32-element blocks per packed chunk

struct PackedChunk {
  alignas(64) uint8_t q[kChunkBlocks * 8 * 64];  // [block][g][row][4]
  alignas(
      64) float d[2 * kChunkBlocks * kTileRows];  // [unit][row]; unit: block (Q6_K: 16 elements)
  alignas(64) float m[kChunkBlocks * kTileRows];  // [block][row], types with a min
};

// Activation data of one chunk for each token of the tile: per token 16
// floats (da of the 8 blocks, then sa) and 16 int32 zero-point corrections
// (-kZero * sum per unit).
struct ChunkActs {
  alignas(64) float dsa[kTileTokens * 16];
  alignas(64) int32_t zs[kTileTokens * 16];
};

// Transposes 8 rows of 8 dwords (r[i]) into 8 columns.
inline void x86_transpose8x8(__m256i r[8]) {
  __m256i t[8], u[8];
  IMP_UNROLL
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
  }
  IMP_UNROLL
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_unpacklo_epi64(t[i], t[i + 2]);
    u[i + 1] = _mm256_unpackhi_epi64(t[i], t[i + 2]);
    u[i + 2] = _mm256_unpacklo_epi64(t[i + 1], t[i + 3]);
    u[i + 3] = _mm256_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  IMP_UNROLL
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2x128_si256(u[i], u[i + 4], 0x31);
  }
}

// Decodes blocks [blk0, blk0 + kb) of rows 0..15 (rows >= nr are zero).
template <class D>
void pack_chunk(const uint8_t* w, size_t w_stride, int nr, int64_t blk0, int kb, PackedChunk& pc) {
  alignas(32) uint8_t tmp[kTileRows][kChunkBlocks * 32];
  for (int r = 0; r < kTileRows; ++r) {
    if (r >= nr) {
      std::memset(tmp[r], 0, sizeof(tmp[r]));
      for (int u = 0; u < 2 * kChunkBlocks; ++u) pc.d[u * kTileRows + r] = 0.0f;
      for (int j = 0; j < kChunkBlocks; ++j) pc.m[j * kTileRows + r] = 0.0f;
      continue;
    }
    const uint8_t* row = w + static_cast<size_t>(r) * w_stride;
    if constexpr (D::kSub == 1) {
      for (int j = 0; j < kb; ++j) {
        const uint8_t* b = row + static_cast<size_t>(blk0 + j) * D::kBytes;
        float dw = 0.0f, m = 0.0f;
        D::scales(b, &dw, &m);
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp[r] + 32 * j), D::quants(b, 0));
        pc.d[j * kTileRows + r] = dw;
        if constexpr (D::kHasMin) pc.m[j * kTileRows + r] = m;
      }
    } else {  // one super-block: blk0 % 8 == 0, kb == 8
      const uint8_t* b = row + static_cast<size_t>(blk0 / kChunkBlocks) * D::kBytes;
      float dw[16], m[8];
      D::scales(b, dw, m);
      IMP_UNROLL
      for (int j = 0; j < kChunkBlocks; ++j) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp[r] + 32 * j), D::quants(b, j));
      }
      const int n_units = D::kHalfScales ? 16 : 8;
      for (int u = 0; u < n_units; ++u) pc.d[u * kTileRows + r] = dw[u];
      if constexpr (D::kHasMin) {
        IMP_UNROLL
        for (int j = 0; j < 8; ++j) pc.m[j * kTileRows + r] = m[j];
      }
    }
  }
  for (int j = 0; j < kb; ++j) {
    IMP_UNROLL
    for (int h = 0; h < 2; ++h) {
      __m256i v[8];
      IMP_UNROLL
      for (int i = 0; i < 8; ++i)
        v[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(tmp[8 * h + i] + 32 * j));
      x86_transpose8x8(v);
      IMP_UNROLL
      for (int g = 0; g < 8; ++g) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(pc.q + (j * 8 + g) * 64 + 32 * h), v[g]);
      }
    }
  }
}

// -kZero * (sum of each 32-block's quants), from d and s of the row.
inline void x86_zero_corr32(const int8_t* qs, const float* d, const float* s, int kb, int zero,
                            int32_t* out) {
  __m256 vd, vs;
  if (kb == 8) {
    vd = _mm256_loadu_ps(d);
    vs = _mm256_loadu_ps(s);
  } else {
    alignas(32) float dd[8] = {}, ss[8] = {};
    std::memcpy(dd, d, sizeof(float) * static_cast<size_t>(kb));
    std::memcpy(ss, s, sizeof(float) * static_cast<size_t>(kb));
    vd = _mm256_load_ps(dd);
    vs = _mm256_load_ps(ss);
  }
  const __m256 nonzero = _mm256_cmp_ps(vd, _mm256_setzero_ps(), _CMP_NEQ_UQ);
  const __m256 sum = _mm256_round_ps(_mm256_and_ps(_mm256_div_ps(vs, vd), nonzero),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // |sum * zero| <= 4064 * 128 < 2^24: exact in float.
  _mm256_store_si256(
      reinterpret_cast<__m256i*>(out),
      _mm256_cvtps_epi32(_mm256_mul_ps(sum, _mm256_set1_ps(static_cast<float>(-zero)))));
  // A subnormal d loses the low bits of s = d * sum: count those blocks exactly.
  const __m256 tiny =
      _mm256_and_ps(nonzero, _mm256_cmp_ps(vd, _mm256_set1_ps(FLT_MIN), _CMP_LT_OQ));
  if (_mm256_movemask_ps(tiny) != 0) {
    for (int j = 0; j < kb; ++j) {
      if (d[j] == 0.0f || d[j] >= FLT_MIN) continue;
      int total = 0;
      for (int i = 0; i < 32; ++i) total += qs[32 * j + i];
      out[j] = -zero * total;
    }
  }
}

// -kZero * (sum of each 16 quants) for kb blocks (2 * kb values).
inline void x86_zero_corr16(const int8_t* qs, int kb, int zero, int32_t* out) {
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int j = 0; j < kb; j += 4) {
    __m256i sad[4];
    IMP_UNROLL
    for (int i = 0; i < 4; ++i) {  // sums of 8 (quant + 128) per qword
      const __m256i x = j + i < kb ? x86_load256(qs + 32 * (j + i)) : bias;
      sad[i] = _mm256_sad_epu8(_mm256_xor_si256(x, bias), _mm256_setzero_si256());
    }
    // [A0, B0 | A1, B1] with A0 = sum of block A's first 16 (+2048).
    const __m256i x = _mm256_add_epi64(_mm256_unpacklo_epi64(sad[0], sad[1]),
                                       _mm256_unpackhi_epi64(sad[0], sad[1]));
    const __m256i y = _mm256_add_epi64(_mm256_unpacklo_epi64(sad[2], sad[3]),
                                       _mm256_unpackhi_epi64(sad[2], sad[3]));
    const __m256i p = _mm256_castps_si256(
        _mm256_shuffle_ps(_mm256_castsi256_ps(x), _mm256_castsi256_ps(y), 0x88));
    const __m256i ordered =
        _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    const __m256i sums = _mm256_sub_epi32(ordered, _mm256_set1_epi32(16 * 128));
    const __m256 scaled = _mm256_mul_ps(_mm256_cvtepi32_ps(sums),
                                        _mm256_set1_ps(static_cast<float>(-zero)));  // exact
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2 * j), _mm256_cvtps_epi32(scaled));
  }
}

template <class D>
void prep_acts(const uint8_t* act, size_t act_stride, int64_t n, int nt, int64_t blk0, int kb,
               ChunkActs& ca) {
  for (int t = 0; t < nt; ++t) {
    const uint8_t* row = act + static_cast<size_t>(t) * act_stride;
    const int8_t* qs = act_q8_qs(row) + blk0 * kActBlock;
    const float* d = act_q8_d(row, n) + blk0;
    const float* s = act_q8_s(row, n) + blk0;
    float* dsa = ca.dsa + 16 * t;
    if (kb == kChunkBlocks) {
      _mm256_store_ps(dsa, _mm256_loadu_ps(d));
      if constexpr (D::kHasMin) _mm256_store_ps(dsa + 8, _mm256_loadu_ps(s));
    } else {
      for (int j = 0; j < kb; ++j) {
        dsa[j] = d[j];
        if constexpr (D::kHasMin) dsa[8 + j] = s[j];
      }
    }
    if constexpr (D::kHalfScales) {
      x86_zero_corr16(qs, kb, D::kZero, ca.zs + 16 * t);
    } else if constexpr (D::kZero != 0) {
      x86_zero_corr32(qs, d, s, kb, D::kZero, ca.zs + 16 * t);
    }
  }
}

// Runs the micro-kernel on tokens [t, nt) in calls of T tokens and fewer.
template <class D, class Micro, int T>
void run_tokens(const PackedChunk& pc, int n_units, const uint8_t* act, size_t act_stride, int t,
                int nt, const ChunkActs& ca, int64_t blk0, float* c) {
  for (; t + T <= nt; t += T) {
    const int8_t* a = act_q8_qs(act + static_cast<size_t>(t) * act_stride) + blk0 * kActBlock;
    Micro::template run<T, D>(pc, n_units, a, act_stride, ca.dsa + 16 * t, ca.zs + 16 * t,
                              c + 16 * t);
  }
  if constexpr (T > 1) {
    if (t < nt) run_tokens<D, Micro, T / 2>(pc, n_units, act, act_stride, t, nt, ca, blk0, c);
  }
}

template <class D, class Micro>
void gemm_q_tile(int64_t n, int nr, int nt, const uint8_t* w, size_t w_stride, const uint8_t* act,
                 size_t act_stride, float* out, size_t out_stride) {
  alignas(64) float c[kTileTokens * kTileRows] = {};
  PackedChunk pc;
  ChunkActs ca;
  const int64_t n_blocks = n / kActBlock;
  for (int64_t blk0 = 0; blk0 < n_blocks; blk0 += kChunkBlocks) {
    const int kb =
        static_cast<int>(n_blocks - blk0 < kChunkBlocks ? n_blocks - blk0 : kChunkBlocks);
    pack_chunk<D>(w, w_stride, nr, blk0, kb, pc);
    prep_acts<D>(act, act_stride, n, nt, blk0, kb, ca);
    const int n_units = D::kHalfScales ? 2 * kb : kb;
    run_tokens<D, Micro, Micro::kT>(pc, n_units, act, act_stride, 0, nt, ca, blk0, c);
  }
  for (int t = 0; t < nt; ++t)
    Micro::store(c + kTileRows * t, out + static_cast<size_t>(t) * out_stride, nr);
}

// GemmFn for weight type D: splits any nr x nt into tiles.
template <class D, class Micro>
void gemm_q(int64_t n, int64_t nr, int64_t nt, const uint8_t* w, size_t w_stride,
            const uint8_t* act, size_t act_stride, float* out, size_t out_stride) {
  for (int64_t r0 = 0; r0 < nr; r0 += kTileRows) {
    const int tr = static_cast<int>(nr - r0 < kTileRows ? nr - r0 : kTileRows);
    for (int64_t t0 = 0; t0 < nt; t0 += kTileTokens) {
      const int tt = static_cast<int>(nt - t0 < kTileTokens ? nt - t0 : kTileTokens);
      gemm_q_tile<D, Micro>(n, tr, tt, w + static_cast<size_t>(r0) * w_stride, w_stride,
                            act + static_cast<size_t>(t0) * act_stride, act_stride,
                            out + static_cast<size_t>(t0) * out_stride + r0, out_stride);
    }
  }
}

}  // namespace
}  // namespace impetus::cpu
