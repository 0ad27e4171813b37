#include "backend/cpu/kernels.h"

#include <array>

namespace impetus::cpu {

size_t act_row_bytes(ActFormat format, int64_t n) {
  size_t bytes = format == ActFormat::kF32
                     ? static_cast<size_t>(n) * sizeof(float)
                     : static_cast<size_t>(n) + 2 * sizeof(float) * static_cast<size_t>(n / kActBlock);
  return (bytes + 63) / 64 * 64;
}

namespace {

KernelTable build(Isa isa) {
  KernelTable t;
  fill_scalar_kernels(t);
  t.isa = isa;
  switch (isa) {
    case Isa::kScalar: break;
#if defined(__x86_64__)
    case Isa::kAvx2: fill_avx2_kernels(t); break;
    case Isa::kAvx512:
      fill_avx2_kernels(t);
      fill_avx512_kernels(t);
      break;
#endif
#if defined(__aarch64__)
    case Isa::kNeon: fill_neon_kernels(t); break;
#endif
    default: IMP_CHECK(false, "instruction set ", isa_name(isa), " is not built in");
  }
  return t;
}

}  // namespace

const KernelTable& kernel_table(Isa isa) {
  static const std::array<KernelTable, 4> tables = [] {
    std::array<KernelTable, 4> all{};
    for (Isa i : supported_isas()) all[static_cast<size_t>(i)] = build(i);
    return all;
  }();
  const KernelTable& t = tables[static_cast<size_t>(isa)];
  IMP_CHECK(t.quantize_q8 != nullptr, "instruction set ", isa_name(isa), " is not supported here");
  return t;
}

}  // namespace impetus::cpu
