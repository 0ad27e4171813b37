// matmul: y {n_out, n_tok} = x {n_in, n_tok} . w^T for a weight w {n_in, n_out}
// of any supported dtype. Scalar reference: each thread takes a range of
// weight rows, dequantizes each row once and dots it with every token.
#include <vector>

#include "backend/cpu/ops.h"
#include "tensor/quant/quant.h"

namespace impetus::cpu {

namespace {

float dot(const float* a, const float* b, int64_t n) {
  // Four partial sums: keeps the compiler free to vectorize and the error small.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

void matmul(ThreadPool& pool, const Tensor& w, const Tensor& x, Tensor& y) {
  const int64_t n_in = w.ne[0];
  const int64_t n_out = w.ne[1];
  const int64_t n_tok = x.ne[1];
  IMP_CHECK(x.ne[0] == n_in && y.ne[0] == n_out && y.ne[1] == n_tok, "matmul shape mismatch");
  const auto* wb = static_cast<const uint8_t*>(w.data);
  const int64_t row_bytes = w.row_bytes();
  const float* xs = x.f32();
  float* ys = y.f32();
  pool.parallel_ranges(n_out, [&](int64_t r0, int64_t r1) {
    std::vector<float> row(static_cast<size_t>(n_in));
    for (int64_t r = r0; r < r1; ++r) {
      const float* wr;
      if (w.type == DType::kF32) {
        wr = reinterpret_cast<const float*>(wb + r * row_bytes);
      } else {
        dequantize_row(w.type, wb + r * row_bytes, row.data(), n_in);
        wr = row.data();
      }
      for (int64_t t = 0; t < n_tok; ++t) ys[t * n_out + r] = dot(wr, xs + t * n_in, n_in);
    }
  });
}

}  // namespace impetus::cpu
