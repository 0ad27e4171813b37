// matmul: y {n_out, n_tok} = x {n_in, n_tok} . w^T for weights w {n_in, n_out}
// in their stored type, through the kernel table of the backend's ISA.
//
// The activations are converted once per call to the format the weight type
// wants (Q8 blocks for quantized weights). Below kStretchTokens tokens each
// thread takes one contiguous stretch of the weights' rows (the prefetchers
// see long sequential runs): with 1-3 tokens (decode) it dots each row with
// every token, through the ISA's multi-row vec_dot_rows where it has one (it
// prepares the activation once per stretch); with more (batched decode, short
// prompts) it runs the ISA's GEMM kernel over its stretch in tiles of
// kTileRows rows x all tokens. Long prompts: threads take 16-row tiles from a
// shared counter (balanced when a core is busy with something else), GEMM on
// each, so each weight tile is read from memory once and reused across the
// tokens from cache.
#include <algorithm>
#include <atomic>
#include <vector>

#include "backend/cpu/matmul.h"
#include "tensor/quant/quant.h"

namespace impetus::cpu {
namespace {

constexpr int64_t kGemmMinTokens = 4;   // below: vec_dot per row and token
constexpr int64_t kTileRows = 16;       // weight rows per prefill tile
constexpr int64_t kTileTokens = 256;    // tokens per prefill tile (weights decoded once per tile)
constexpr int64_t kDecodeRows = 32;     // rows per vec_dot_rows call when decoding 2-3 tokens
constexpr int64_t kStretchTokens = 256;  // below: each thread one contiguous stretch of rows (decode, small batches)

struct Job {
  const Tensor* w;
  Tensor* y;
  const uint8_t* act;  // activation rows in this weight's format
  size_t act_stride;
  const TypeKernels* k;
};

void run_rows(const Job& j, int64_t r0, int64_t r1, int64_t n_tok) {
  const int64_t n_in = j.w->ne[0], n_out = j.w->ne[1];
  const size_t w_stride = static_cast<size_t>(j.w->row_bytes());
  const auto* wb = static_cast<const uint8_t*>(j.w->data);
  float* ys = j.y->f32();
  if (n_tok < kGemmMinTokens && j.k->vec_dot_rows != nullptr) {
    // One call per token for the whole stretch when decoding one token; with
    // a few tokens, stretches short enough to stay in L2 between tokens.
    const int64_t step = n_tok == 1 ? r1 - r0 : kDecodeRows;
    for (int64_t c = r0; c < r1; c += step) {
      const int64_t nr = std::min(step, r1 - c);
      for (int64_t t = 0; t < n_tok; ++t) {
        j.k->vec_dot_rows(n_in, nr, wb + c * w_stride, w_stride, j.act + t * j.act_stride,
                          ys + t * n_out + c);
      }
    }
    return;
  }
  if (n_tok < kGemmMinTokens || j.k->gemm == nullptr) {
    for (int64_t r = r0; r < r1; ++r) {
      for (int64_t t = 0; t < n_tok; ++t) {
        ys[t * n_out + r] = j.k->vec_dot(n_in, wb + r * w_stride, j.act + t * j.act_stride);
      }
    }
    return;
  }
  for (int64_t t0 = 0; t0 < n_tok; t0 += kTileTokens) {
    const int64_t nt = std::min(kTileTokens, n_tok - t0);
    j.k->gemm(n_in, r1 - r0, nt, wb + r0 * w_stride, w_stride, j.act + t0 * j.act_stride,
              j.act_stride, ys + t0 * n_out + r0, static_cast<size_t>(n_out));
  }
}

// Weights without kernels (rare types): dequantize each row, dot in float.
void run_dequant(const Tensor& w, const Tensor& x, Tensor& y, int64_t r0, int64_t r1) {
  const int64_t n_in = w.ne[0], n_out = w.ne[1], n_tok = x.ne[1];
  std::vector<float> row(static_cast<size_t>(n_in));
  for (int64_t r = r0; r < r1; ++r) {
    dequantize_row(w.type, static_cast<const uint8_t*>(w.data) + r * w.row_bytes(), row.data(), n_in);
    for (int64_t t = 0; t < n_tok; ++t) {
      float s = 0;
      for (int64_t i = 0; i < n_in; ++i) s += row[i] * x.f32()[t * n_in + i];
      y.f32()[t * n_out + r] = s;
    }
  }
}

}  // namespace

void MatmulScratch::reserve(size_t bytes) {
  if (q8.size() < bytes) q8.resize(bytes + 64);
}

void matmul_n(ThreadPool& pool, const KernelTable& kt, MatmulScratch& scratch, const Tensor* ws,
              int n, const Tensor& x, Tensor* ys) {
  const int64_t n_in = x.ne[0], n_tok = x.ne[1];
  bool need_q8 = false;
  for (int i = 0; i < n; ++i) {
    IMP_CHECK(ws[i].ne[0] == n_in && ys[i].ne[0] == ws[i].ne[1] && ys[i].ne[1] == n_tok,
              "matmul shape mismatch");
    need_q8 |= kt.of(ws[i].type).act == ActFormat::kQ8 && kt.of(ws[i].type).vec_dot != nullptr;
  }
  const size_t q8_stride = act_row_bytes(ActFormat::kQ8, n_in);
  uint8_t* q8 = nullptr;
  if (need_q8) {
    scratch.reserve(q8_stride * static_cast<size_t>(n_tok));
    q8 = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(scratch.q8.data()) + 63) & ~uintptr_t{63});
    auto quantize = [&](int64_t t) { kt.quantize_q8(x.f32() + t * n_in, n_in, q8 + t * q8_stride); };
    if (n_tok >= 4) {
      pool.parallel_for(n_tok, quantize);
    } else {
      for (int64_t t = 0; t < n_tok; ++t) quantize(t);
    }
  }
  std::vector<Job> jobs;
  std::vector<int64_t> first_chunk{0};  // chunk index where each job starts
  const int64_t chunk_rows = kTileRows;
  for (int i = 0; i < n; ++i) {
    const TypeKernels& k = kt.of(ws[i].type);
    const bool q = k.act == ActFormat::kQ8;
    jobs.push_back({&ws[i], &ys[i], q ? q8 : static_cast<const uint8_t*>(x.data),
                    q ? q8_stride : static_cast<size_t>(n_in) * sizeof(float), &k});
    first_chunk.push_back(first_chunk.back() + (ws[i].ne[1] + chunk_rows - 1) / chunk_rows);
  }
  auto run_chunk = [&](size_t ji, int64_t r0, int64_t r1) {
    const Job& j = jobs[ji];
    if (j.k->vec_dot == nullptr) {
      run_dequant(*j.w, x, *j.y, r0, r1);
    } else {
      run_rows(j, r0, r1, n_tok);
    }
  };
  if (n_tok < kStretchTokens) {
    // Decode (and a batch of a few sequences' decode tokens) streams the
    // weights from memory: each thread takes one contiguous stretch of the
    // rows of all weights together, so the hardware prefetchers see long
    // sequential runs.
    int64_t total = 0;
    for (const Job& j : jobs) total += j.w->ne[1];
    pool.run([&](int t, int nt) {
      int64_t begin = total * t / nt, end = total * (t + 1) / nt, base = 0;
      for (size_t ji = 0; ji < jobs.size() && begin < end; ++ji) {
        const int64_t rows = jobs[ji].w->ne[1];
        const int64_t r0 = std::max<int64_t>(begin - base, 0), r1 = std::min(end - base, rows);
        if (r0 < r1) run_chunk(ji, r0, r1);
        base += rows;
      }
    });
    return;
  }
  std::atomic<int64_t> next{0};
  const int64_t n_chunks = first_chunk.back();
  pool.run([&](int, int) {
    for (int64_t c = next.fetch_add(1, std::memory_order_relaxed); c < n_chunks;
         c = next.fetch_add(1, std::memory_order_relaxed)) {
      const size_t ji = static_cast<size_t>(
          std::upper_bound(first_chunk.begin(), first_chunk.end(), c) - first_chunk.begin() - 1);
      const int64_t r0 = (c - first_chunk[ji]) * chunk_rows;
      run_chunk(ji, r0, std::min(jobs[ji].w->ne[1], r0 + chunk_rows));
    }
  });
}

}  // namespace impetus::cpu
