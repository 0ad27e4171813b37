// Kernel micro-benchmarks, for every instruction-set level this CPU runs:
//   vec_dot/<isa>/<type>   one weight row . one activation row, n = 2048;
//                          bytes/s counts the weight row's bytes, so it reads
//                          as "weight bytes one thread can consume per second"
//                          (compare with the memory bandwidth per thread);
//   vec_dot_rows/<isa>/<type>  64 rows . one activation row (the decode
//                          kernel), n = 2048; bytes/s as for vec_dot;
//   gemm/<isa>/<type>      one prefill tile: 16 weight rows x 64 tokens,
//                          n = 2048; items/s are FLOP/s (2 per multiply-add).
//                          Types without a GEMM kernel run the driver's
//                          fallback (vec_dot per row and token), labelled so;
//   quantize_q8/<isa>      one activation row of 2048 floats to Q8 blocks.
#include <benchmark/benchmark.h>

#include "bench_util.h"

namespace impetus::bench {
namespace {

constexpr int64_t kN = 2048;
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileTokens = 64;

void bm_vec_dot(benchmark::State& state, cpu::Isa isa, DType type) {
  const cpu::KernelTable& kt = cpu::kernel_table(isa);
  const auto w = random_weights(type, kN, 1, 1);
  const auto a = random_acts(kt, type, kN, 1, 2);
  const cpu::VecDotFn dot = kt.of(type).vec_dot;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dot(kN, w.data(), a.data()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * dtype_row_bytes(type, kN));
}

// 64 rows (n = 2048) through vec_dot_rows where the ISA has it, else vec_dot
// per row (labelled): weight bytes per second of one thread, rows from L2.
void bm_vec_dot_rows(benchmark::State& state, cpu::Isa isa, DType type) {
  constexpr int64_t kRows = 64;
  const cpu::KernelTable& kt = cpu::kernel_table(isa);
  const cpu::TypeKernels& k = kt.of(type);
  const auto w = random_weights(type, kN, kRows, 6);
  const auto a = random_acts(kt, type, kN, 1, 7);
  const size_t w_stride = static_cast<size_t>(dtype_row_bytes(type, kN));
  std::vector<float> out(static_cast<size_t>(kRows));
  for (auto _ : state) {
    if (k.vec_dot_rows != nullptr) {
      k.vec_dot_rows(kN, kRows, w.data(), w_stride, a.data(), out.data());
    } else {
      for (int64_t r = 0; r < kRows; ++r)
        out[static_cast<size_t>(r)] = k.vec_dot(kN, w.data() + r * w_stride, a.data());
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kRows *
                          dtype_row_bytes(type, kN));
  state.SetLabel(k.vec_dot_rows != nullptr ? "vec_dot_rows" : "vec_dot per row");
}

void bm_gemm(benchmark::State& state, cpu::Isa isa, DType type) {
  const cpu::KernelTable& kt = cpu::kernel_table(isa);
  const cpu::TypeKernels& k = kt.of(type);
  const auto w = random_weights(type, kN, kTileRows, 3);
  const auto a = random_acts(kt, type, kN, kTileTokens, 4);
  const size_t w_stride = static_cast<size_t>(dtype_row_bytes(type, kN));
  const size_t a_stride = cpu::act_row_bytes(k.act, kN);
  std::vector<float> out(static_cast<size_t>(kTileRows * kTileTokens));
  for (auto _ : state) {
    if (k.gemm != nullptr) {
      k.gemm(kN, kTileRows, kTileTokens, w.data(), w_stride, a.data(), a_stride, out.data(),
             kTileRows);
    } else {
      for (int64_t r = 0; r < kTileRows; ++r) {
        for (int64_t t = 0; t < kTileTokens; ++t) {
          out[static_cast<size_t>(t * kTileRows + r)] =
              k.vec_dot(kN, w.data() + r * w_stride, a.data() + t * a_stride);
        }
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2 * kTileRows * kTileTokens * kN);
  state.SetLabel(k.gemm != nullptr ? "gemm" : "vec_dot fallback");
}

void bm_quantize_q8(benchmark::State& state, cpu::Isa isa) {
  const cpu::KernelTable& kt = cpu::kernel_table(isa);
  const auto x = random_floats(kN, 5);
  std::vector<uint8_t> out(cpu::act_row_bytes(cpu::ActFormat::kQ8, kN));
  for (auto _ : state) {
    kt.quantize_q8(x.data(), kN, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kN *
                          static_cast<int64_t>(sizeof(float)));
}

// Registered at start-up, for the levels this CPU supports.
[[maybe_unused]] const bool kRegistered = [] {
  for (cpu::Isa isa : cpu::supported_isas()) {
    const std::string isa_name = cpu::isa_name(isa);
    for (DType t : bench_types()) {
      if (cpu::kernel_table(isa).of(t).vec_dot == nullptr) continue;
      benchmark::RegisterBenchmark(("vec_dot/" + isa_name + "/" + type_label(t)).c_str(), bm_vec_dot,
                                   isa, t);
    }
    for (DType t : bench_types()) {
      if (cpu::kernel_table(isa).of(t).vec_dot == nullptr) continue;
      benchmark::RegisterBenchmark(("vec_dot_rows/" + isa_name + "/" + type_label(t)).c_str(),
                                   bm_vec_dot_rows, isa, t);
    }
    for (DType t : bench_types()) {
      if (cpu::kernel_table(isa).of(t).vec_dot == nullptr) continue;
      benchmark::RegisterBenchmark(("gemm/" + isa_name + "/" + type_label(t)).c_str(), bm_gemm, isa,
                                   t)
          ->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(("quantize_q8/" + isa_name).c_str(), bm_quantize_q8, isa);
  }
  return true;
}();

}  // namespace
}  // namespace impetus::bench
