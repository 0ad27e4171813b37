// Host conversion between the file layout and the device layout of Q4_0 and
// Q8_0 rows (repack.h).
#include "backend/cuda/repack.h"

#include <cstring>

#include "core/check.h"

namespace impetus::cuda {

bool repacked_type(DType type) { return type == DType::kQ4_0 || type == DType::kQ8_0; }

int repacked_quant_bytes(DType type) { return type == DType::kQ4_0 ? 16 : 32; }

void repack_rows(DType type, const uint8_t* src, uint8_t* dst, int64_t n_rows, int64_t row_bytes, bool to_device) {
  IMP_CHECK(repacked_type(type), "repack_rows: not a repacked type");
  const int64_t qb = repacked_quant_bytes(type), bb = qb + 2;
  IMP_CHECK(row_bytes % bb == 0, "repack_rows: row of ", row_bytes, " bytes is not whole blocks");
  const int64_t nb = row_bytes / bb;
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint8_t* s = src + r * row_bytes;
    uint8_t* d = dst + r * row_bytes;
    for (int64_t b = 0; b < nb; ++b) {
      if (to_device) {
        std::memcpy(d + nb * qb + 2 * b, s + b * bb, 2);
        std::memcpy(d + b * qb, s + b * bb + 2, static_cast<size_t>(qb));
      } else {
        std::memcpy(d + b * bb, s + nb * qb + 2 * b, 2);
        std::memcpy(d + b * bb + 2, s + b * qb, static_cast<size_t>(qb));
      }
    }
  }
}

}  // namespace impetus::cuda
