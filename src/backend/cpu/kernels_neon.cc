// neon kernels (stub: falls back to the scalar table until written).
#include "backend/cpu/kernels.h"

namespace impetus::cpu {

void fill_neon_kernels(KernelTable& t) { t.isa = Isa::kNeon; }

}  // namespace impetus::cpu
