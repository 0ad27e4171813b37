// avx512 kernels (stub: falls back to the scalar table until written).
#include "backend/cpu/kernels.h"

namespace impetus::cpu {

void fill_avx512_kernels(KernelTable& t) { t.isa = Isa::kAvx512; }

}  // namespace impetus::cpu
