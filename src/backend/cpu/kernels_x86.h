// How the x86 kernel files assemble their KernelTable: each ISA's kernels are
// split over several files (quantize + KV, vec_dot, gemm), each compiled with
// that ISA's flags and exporting one function that fills its part of the
// table. fill_avx2_kernels / fill_avx512_kernels (kernels.h) call them in turn.
#pragma once

#include "backend/cpu/kernels.h"

namespace impetus::cpu {

namespace avx2 {
void fill_vec_dot(KernelTable& t);  // vec_dot for every type   (vec_dot_avx2.cc)
void fill_gemm(KernelTable& t);     // gemm tiles, every type   (gemm_avx2.cc)
}  // namespace avx2

namespace avx512 {
void fill_vec_dot(KernelTable& t);  // (vec_dot_avx512.cc)
void fill_gemm_q(KernelTable& t);   // quantized types (gemm_q_avx512.cc)
void fill_gemm_f(KernelTable& t);   // F32 / F16 / BF16 (gemm_f_avx512.cc)
void fill_vec_dot_rows(KernelTable& t);  // multi-row decode (vec_dot_rows_avx512.cc)
}  // namespace avx512

}  // namespace impetus::cpu
