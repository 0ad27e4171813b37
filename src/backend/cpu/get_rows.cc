// get_rows: gathers (and dequantizes) rows of a table, e.g. token embeddings.
#include "backend/cpu/ops.h"
#include "tensor/quant/quant.h"

namespace impetus::cpu {

void get_rows(ThreadPool& pool, const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) {
  const int64_t cols = table.ne[0];
  const int64_t row_bytes = table.row_bytes();
  const auto* base = static_cast<const uint8_t*>(table.data);
  pool.parallel_for(n, [&](int64_t i) {
    dequantize_row(table.type, base + ids[i] * row_bytes, out.f32() + i * cols, cols);
  });
}

}  // namespace impetus::cpu
