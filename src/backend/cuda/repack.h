// The device layout of Q4_0 and Q8_0 weights: each row is stored with its
// blocks' quants first and their scales after them, instead of the file's
// interleaved blocks (an f16 scale, then the quants, 18 or 34 bytes):
//   row of nb = n/32 blocks, QB quant bytes per block (16 for Q4_0, 32 for
//   Q8_0): bytes [0, nb*QB) the quants of block b at b*QB, in the file's
//   order; bytes [nb*QB, nb*(QB+2)) the f16 scale of block b at nb*QB + 2b.
// The row keeps its size, so tensor sizes, row strides and row views are
// unchanged; the quants of a block are 16-byte aligned whenever the row is,
// so the matrix-vector kernels read them with full-width coalesced loads.
// The backend converts on the way in (upload_weight, write) and back on the
// way out (read); every device kernel reads this layout. Host code only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"

namespace impetus::cuda {

// True for the types stored repacked on the device (Q4_0, Q8_0).
bool repacked_type(DType type);

// Quant bytes per 32-element block of a repacked type.
int repacked_quant_bytes(DType type);

// Converts `n_rows` rows of `row_bytes` bytes (n_in = row_bytes / block
// bytes * 32 elements) from the file layout to the device layout (to_device)
// or back; src and dst must not overlap.
void repack_rows(DType type, const uint8_t* src, uint8_t* dst, int64_t n_rows, int64_t row_bytes, bool to_device);

}  // namespace impetus::cuda
