// avx2 kernels (stub: falls back to the scalar table until written).
#include "backend/cpu/kernels.h"

namespace impetus::cpu {

void fill_avx2_kernels(KernelTable& t) { t.isa = Isa::kAvx2; }

}  // namespace impetus::cpu
