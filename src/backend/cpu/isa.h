// Instruction-set levels of the CPU backend and their runtime detection.
// One binary carries kernels for every level its target architecture has;
// the best level the running CPU supports is picked at start, and a lower
// one can be forced (IMPETUS_CPU_ISA=scalar|avx2|avx512|neon, or the
// backend options) to compare or to test.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace impetus::cpu {

enum class Isa {
  kScalar,  // plain C++: the reference every other level is tested against
  kAvx2,    // x86-64 AVX2 + FMA + F16C
  kAvx512,  // x86-64 AVX-512 F/BW/VL/DQ + VNNI (BF16 used when present)
  kNeon,    // AArch64 Advanced SIMD with the dot-product extension
};

const char* isa_name(Isa isa);
StatusOr<Isa> isa_from_name(const std::string& name);

// Levels this CPU can run, scalar first, best last.
std::vector<Isa> supported_isas();
// The best supported level, or IMPETUS_CPU_ISA when set (and supported).
Isa default_isa();

// CPU features relevant to the kernels, for `impetus info --hardware`.
struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false;
  bool neon = false, dotprod = false;
};
const CpuFeatures& cpu_features();
std::string cpu_features_string();

}  // namespace impetus::cpu
