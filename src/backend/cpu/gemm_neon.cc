// NEON GEMM tiles (the prefill path): out[t][r] = dot(weight row r, act row t)
// for a tile of rows x tokens, register-blocked so each load feeds several
// multiply-adds.
//
// Quantized weights: per 256-element chunk, the tile's rows (16 at a time)
// are unpacked once into int8 lanes plus per-block float scales (kept in L1),
// then every token of the tile is dotted against them in 4-row x 2-token
// register blocks with vdotq_s32; the per-chunk partial sums are added into a
// float tile. Float weights (F32/F16/BF16) run 4 x 4 register blocks over the
// whole row, converting F16/BF16 lanes as they are loaded.
#include <algorithm>

#include "backend/cpu/kernels_neon.h"

namespace impetus::cpu::neon {
namespace {

constexpr int kRowGroup = 16;  // rows unpacked together
constexpr int kTokGroup = 64;  // tokens accumulated in one float tile
constexpr int kChunk = 256;    // elements unpacked per row at a time
constexpr int kChunkBlocks = kChunk / kQK;

// One chunk of kRowGroup unpacked rows: value(row, 32-block k) contributes
// dw*da*isum + mw*sa; Q6_K instead scales each 16-element half by sc.
struct Unpacked {
  alignas(16) int8_t q[kRowGroup][kChunk];
  float dw[kRowGroup][kChunkBlocks];
  float mw[kRowGroup][kChunkBlocks];
  int32_t sc[kRowGroup][2 * kChunkBlocks];
};

// Unpackers: chunk c (kChunk elements, nb <= kChunkBlocks blocks) of a row.
template <typename T>
struct LegacyUnpack {
  static constexpr bool kHasMin = T::kHasMin, kSub16 = false;
  static void run(const uint8_t* row, int64_t c, int nb, Unpacked& u, int r) {
    const auto* blocks = reinterpret_cast<const typename T::Block*>(row) + c * kChunkBlocks;
    for (int k = 0; k < nb; ++k) {
      int8x16_t lo, hi;
      T::quants(blocks[k], lo, hi);
      vst1q_s8(u.q[r] + 32 * k, lo);
      vst1q_s8(u.q[r] + 32 * k + 16, hi);
      u.dw[r][k] = T::d(blocks[k]);
      u.mw[r][k] = T::m(blocks[k]);
    }
  }
};

template <typename Block, bool kFive>
struct Q45KUnpack {
  static constexpr bool kHasMin = true, kSub16 = false;
  static void run(const uint8_t* row, int64_t c, int, Unpacked& u, int r) {
    const Block& blk = reinterpret_cast<const Block*>(row)[c];
    uint8x8_t sc8, mn8;
    k_scales_mins(blk.scales, sc8, mn8);
    uint8_t sc[8], mn[8];
    vst1_u8(sc, sc8);
    vst1_u8(mn, mn8);
    const float d = h2f(blk.d), dmin = h2f(blk.dmin);
    for (int j = 0; j < 8; ++j) {
      u.dw[r][j] = d * static_cast<float>(sc[j]);
      u.mw[r][j] = -dmin * static_cast<float>(mn[j]);
    }
    uint8x16_t h0 = vdupq_n_u8(0), h1 = h0;
    if constexpr (kFive) {
      h0 = vld1q_u8(blk.qh);
      h1 = vld1q_u8(blk.qh + 16);
    }
    for (int k = 0; k < 4; ++k) {
      int8x16_t q[4];
      if constexpr (kFive) {
        q5k_chunk(blk.qs + 32 * k, h0, h1, q);
        h0 = vshrq_n_u8(h0, 2);
        h1 = vshrq_n_u8(h1, 2);
      } else {
        q4k_chunk(blk.qs + 32 * k, q);
      }
      for (int i = 0; i < 4; ++i) vst1q_s8(u.q[r] + 64 * k + 16 * i, q[i]);
    }
  }
};

struct Q6KUnpack {
  static constexpr bool kHasMin = false, kSub16 = true;
  static void run(const uint8_t* row, int64_t c, int, Unpacked& u, int r) {
    const BlockQ6_K& blk = reinterpret_cast<const BlockQ6_K*>(row)[c];
    for (int h = 0; h < 2; ++h) {
      int8x16_t q[8];
      q6k_half(blk.ql + 64 * h, blk.qh + 32 * h, q);
      for (int i = 0; i < 8; ++i) vst1q_s8(u.q[r] + 128 * h + 16 * i, q[i]);
    }
    const float d = h2f(blk.d);
    for (int j = 0; j < 8; ++j) u.dw[r][j] = d;
    for (int j = 0; j < 16; ++j) u.sc[r][j] = blk.scales[j];
  }
};

// A token's activation row, offset to the current chunk.
struct ActChunk {
  const int8_t* qa;
  const float* da;
  const float* sa;
};

// R rows (from r) x T tokens over nb blocks of the chunk; adds into tile.
template <typename U, int R, int T>
void block_q(const Unpacked& u, int r, const ActChunk* a, int nb, float (*tile)[kTokGroup], int t) {
  const int32x4_t zero = vdupq_n_s32(0);
  float32x4_t acc[R][T];
  IMP_NEON_UNROLL
  for (int i = 0; i < R; ++i) {
    IMP_NEON_UNROLL
    for (int j = 0; j < T; ++j) acc[i][j] = vdupq_n_f32(0.0f);
  }
  for (int k = 0; k < nb; ++k) {
    int8x16_t w[R][2], x[T][2];
    IMP_NEON_UNROLL
    for (int i = 0; i < R; ++i) {
      w[i][0] = vld1q_s8(u.q[r + i] + 32 * k);
      w[i][1] = vld1q_s8(u.q[r + i] + 32 * k + 16);
    }
    IMP_NEON_UNROLL
    for (int j = 0; j < T; ++j) {
      x[j][0] = vld1q_s8(a[j].qa + 32 * k);
      x[j][1] = vld1q_s8(a[j].qa + 32 * k + 16);
    }
    IMP_NEON_UNROLL
    for (int i = 0; i < R; ++i) {
      IMP_NEON_UNROLL
      for (int j = 0; j < T; ++j) {
        int32x4_t isum;
        if constexpr (U::kSub16) {
          isum = vmulq_n_s32(vdotq_s32(zero, w[i][0], x[j][0]), u.sc[r + i][2 * k]);
          isum = vmlaq_n_s32(isum, vdotq_s32(zero, w[i][1], x[j][1]), u.sc[r + i][2 * k + 1]);
        } else {
          isum = vdotq_s32(vdotq_s32(zero, w[i][0], x[j][0]), w[i][1], x[j][1]);
        }
        acc[i][j] = vfmaq_n_f32(acc[i][j], vcvtq_f32_s32(isum), u.dw[r + i][k] * a[j].da[k]);
      }
    }
  }
  IMP_NEON_UNROLL
  for (int i = 0; i < R; ++i) {
    IMP_NEON_UNROLL
    for (int j = 0; j < T; ++j) {
      float tail = 0.0f;
      if constexpr (U::kHasMin) {  // + sum_k mw_k * sa_k
        if (nb == kChunkBlocks) {
          acc[i][j] = vfmaq_f32(acc[i][j], vld1q_f32(u.mw[r + i]), vld1q_f32(a[j].sa));
          acc[i][j] = vfmaq_f32(acc[i][j], vld1q_f32(u.mw[r + i] + 4), vld1q_f32(a[j].sa + 4));
        } else {
          for (int k = 0; k < nb; ++k) tail += u.mw[r + i][k] * a[j].sa[k];
        }
      }
      tile[r + i][t + j] += vaddvq_f32(acc[i][j]) + tail;
    }
  }
}

template <typename U, int R>
void rows_q(const Unpacked& u, int r, const ActChunk* a, int tg, int nb, float (*tile)[kTokGroup]) {
  int t = 0;
  for (; t + 2 <= tg; t += 2) block_q<U, R, 2>(u, r, a + t, nb, tile, t);
  for (; t < tg; ++t) block_q<U, R, 1>(u, r, a + t, nb, tile, t);
}

template <typename U>
void gemm_q(int64_t n, int64_t nr, int64_t nt, const uint8_t* w, size_t w_stride,
            const uint8_t* act, size_t act_stride, float* out, size_t out_stride) {
  Unpacked u;
  float tile[kRowGroup][kTokGroup];
  ActChunk a[kTokGroup];
  for (int64_t r0 = 0; r0 < nr; r0 += kRowGroup) {
    const int rg = static_cast<int>(std::min<int64_t>(kRowGroup, nr - r0));
    for (int64_t t0 = 0; t0 < nt; t0 += kTokGroup) {
      const int tg = static_cast<int>(std::min<int64_t>(kTokGroup, nt - t0));
      for (int r = 0; r < rg; ++r) std::fill(tile[r], tile[r] + tg, 0.0f);
      for (int64_t c = 0; c * kChunk < n; ++c) {
        const int nb = static_cast<int>(std::min<int64_t>(kChunkBlocks, (n - c * kChunk) / kQK));
        for (int r = 0; r < rg; ++r) U::run(w + (r0 + r) * w_stride, c, nb, u, r);
        for (int t = 0; t < tg; ++t) {
          const uint8_t* row = act + (t0 + t) * act_stride;
          a[t] = {act_q8_qs(row) + c * kChunk, act_q8_d(row, n) + c * kChunkBlocks,
                  act_q8_s(row, n) + c * kChunkBlocks};
        }
        int r = 0;
        for (; r + 4 <= rg; r += 4) rows_q<U, 4>(u, r, a, tg, nb, tile);
        for (; r < rg; ++r) rows_q<U, 1>(u, r, a, tg, nb, tile);
      }
      for (int t = 0; t < tg; ++t) {
        for (int r = 0; r < rg; ++r) out[(t0 + t) * out_stride + r0 + r] = tile[r][t];
      }
    }
  }
}

// R rows x T tokens of float weights over all n elements, written to out.
template <typename L, int R, int T>
void block_f(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* act, size_t act_stride,
             float* out, size_t out_stride) {
  const uint8_t* wr[R];
  const float* ar[T];
  IMP_NEON_UNROLL
  for (int i = 0; i < R; ++i) wr[i] = w + i * w_stride;
  IMP_NEON_UNROLL
  for (int j = 0; j < T; ++j) ar[j] = reinterpret_cast<const float*>(act + j * act_stride);
  float32x4_t acc[R][T];
  IMP_NEON_UNROLL
  for (int i = 0; i < R; ++i) {
    IMP_NEON_UNROLL
    for (int j = 0; j < T; ++j) acc[i][j] = vdupq_n_f32(0.0f);
  }
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    float32x4_t wv[R], av[T];
    IMP_NEON_UNROLL
    for (int i = 0; i < R; ++i) wv[i] = L::load4(wr[i], k);
    IMP_NEON_UNROLL
    for (int j = 0; j < T; ++j) av[j] = vld1q_f32(ar[j] + k);
    IMP_NEON_UNROLL
    for (int i = 0; i < R; ++i) {
      IMP_NEON_UNROLL
      for (int j = 0; j < T; ++j) acc[i][j] = vfmaq_f32(acc[i][j], wv[i], av[j]);
    }
  }
  IMP_NEON_UNROLL
  for (int i = 0; i < R; ++i) {
    IMP_NEON_UNROLL
    for (int j = 0; j < T; ++j) {
      float s = vaddvq_f32(acc[i][j]);
      for (int64_t e = k; e < n; ++e) s += L::one(wr[i], e) * ar[j][e];
      out[j * out_stride + i] = s;
    }
  }
}

template <typename L, int R>
void rows_f(int64_t n, int64_t nt, const uint8_t* w, size_t w_stride, const uint8_t* act,
            size_t act_stride, float* out, size_t out_stride) {
  int64_t t = 0;
  for (; t + 4 <= nt; t += 4) {
    block_f<L, R, 4>(n, w, w_stride, act + t * act_stride, act_stride, out + t * out_stride,
                     out_stride);
  }
  for (; t < nt; ++t) {
    block_f<L, R, 1>(n, w, w_stride, act + t * act_stride, act_stride, out + t * out_stride,
                     out_stride);
  }
}

template <typename L>
void gemm_f(int64_t n, int64_t nr, int64_t nt, const uint8_t* w, size_t w_stride,
            const uint8_t* act, size_t act_stride, float* out, size_t out_stride) {
  int64_t r = 0;
  for (; r + 4 <= nr; r += 4) {
    rows_f<L, 4>(n, nt, w + r * w_stride, w_stride, act, act_stride, out + r, out_stride);
  }
  for (; r < nr; ++r) {
    rows_f<L, 1>(n, nt, w + r * w_stride, w_stride, act, act_stride, out + r, out_stride);
  }
}

void set_gemm(KernelTable& t, DType type, GemmFn fn) {
  t.types[static_cast<uint32_t>(type)].gemm = fn;
}

}  // namespace

void fill_neon_gemm(KernelTable& t) {
  set_gemm(t, DType::kF32, &gemm_f<LoadF32>);
  set_gemm(t, DType::kF16, &gemm_f<LoadF16>);
  set_gemm(t, DType::kBF16, &gemm_f<LoadBF16>);
  set_gemm(t, DType::kQ4_0, &gemm_q<LegacyUnpack<Q4_0Traits>>);
  set_gemm(t, DType::kQ4_1, &gemm_q<LegacyUnpack<Q4_1Traits>>);
  set_gemm(t, DType::kQ5_0, &gemm_q<LegacyUnpack<Q5_0Traits>>);
  set_gemm(t, DType::kQ5_1, &gemm_q<LegacyUnpack<Q5_1Traits>>);
  set_gemm(t, DType::kQ8_0, &gemm_q<LegacyUnpack<Q8_0Traits>>);
  set_gemm(t, DType::kQ4_K, &gemm_q<Q45KUnpack<BlockQ4_K, false>>);
  set_gemm(t, DType::kQ5_K, &gemm_q<Q45KUnpack<BlockQ5_K, true>>);
  set_gemm(t, DType::kQ6_K, &gemm_q<Q6KUnpack>);
}

}  // namespace impetus::cpu::neon
