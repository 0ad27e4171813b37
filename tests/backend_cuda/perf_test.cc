// Kernel timings of the CUDA backend on Llama-2-7B shapes (not correctness
// tests: DISABLED_ so that they run only when asked for, with
// --gtest_also_run_disabled_tests --gtest_filter='*Perf*'). Each case
// records many products into one command list over 8 weights (more than
// the L2 cache holds), runs it once to warm up and capture, then times
// replays; it prints microseconds per product and the weight bytes read
// per second.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "cuda_test_util.h"
#include "testing/backends.h"

namespace impetus::testing {
namespace {

constexpr int kWeights = 8;

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Random bytes are valid blocks for every type once the scales are tame:
// fill with a pattern and let the scales be whatever they are (timing only).
std::vector<uint8_t> pattern_bytes(size_t n, uint64_t seed) {
  std::vector<uint8_t> b(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : b) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = static_cast<uint8_t>(s & 0x3f);  // small values: no inf/nan halves
  }
  return b;
}

void time_matmul(CudaBackend& be, DType type, int64_t n_in, int64_t n_out, int64_t n_tok, int reps) {
  std::vector<DeviceTensor> ws;
  const int64_t rb = dtype_row_bytes(type, n_in);
  for (int i = 0; i < kWeights; ++i) {
    ws.push_back(upload(be, type, {n_in, n_out, 1, 1}, pattern_bytes(static_cast<size_t>(rb * n_out), i).data()));
  }
  auto x = upload_f32(be, random_floats(static_cast<size_t>(n_in * n_tok), 1), n_in);
  auto y = upload(be, DType::kF32, {n_out, n_tok, 1, 1}, nullptr);
  auto run = [&] {
    for (int r = 0; r < reps; ++r) be.matmul(ws[r % kWeights].t, x.t, y.t);
    be.synchronize();
  };
  run();
  run();  // captured as a graph when few tokens
  const auto t0 = std::chrono::steady_clock::now();
  run();
  const double s = seconds(t0) / reps;
  std::printf("PERF matmul %-5s %6ld x %6ld  tokens %4ld: %8.2f us  %7.1f GB/s of weights  %7.1f TFLOP/s\n",
              std::string(dtype_name(type)).c_str(), static_cast<long>(n_in), static_cast<long>(n_out),
              static_cast<long>(n_tok), s * 1e6, static_cast<double>(rb * n_out) / s / 1e9,
              2.0 * static_cast<double>(n_in * n_out * n_tok) / s / 1e12);
}

TEST(CudaPerf, DISABLED_MatrixProducts) {
  IMP_REQUIRE_CUDA();
  auto be = make_cuda();
  for (DType type : {DType::kQ4_0, DType::kQ8_0, DType::kF16, DType::kQ4_K, DType::kQ6_K}) {
    time_matmul(*be, type, 4096, 4096, 1, 64);
    time_matmul(*be, type, 4096, 11008, 1, 64);
    time_matmul(*be, type, 11008, 4096, 1, 64);
  }
  for (int64_t n_tok : {2, 4, 8, 16, 32, 64}) {
    time_matmul(*be, DType::kQ4_0, 4096, 4096, n_tok, 64);
    time_matmul(*be, DType::kQ4_0, 4096, 11008, n_tok, 32);
  }
  time_matmul(*be, DType::kQ8_0, 4096, 4096, 16, 64);
  time_matmul(*be, DType::kQ8_0, 4096, 4096, 64, 64);
  time_matmul(*be, DType::kF16, 4096, 4096, 2, 64);
  time_matmul(*be, DType::kF16, 4096, 4096, 8, 64);
  for (DType type : {DType::kQ4_0, DType::kF16}) {
    time_matmul(*be, type, 4096, 4096, 512, 16);
    time_matmul(*be, type, 4096, 11008, 512, 16);
  }
}

// The cost of one small kernel in a replayed list: 64 dependent adds of 32
// elements (each reads the previous one's output).
TEST(CudaPerf, DISABLED_KernelOverhead) {
  IMP_REQUIRE_CUDA();
  auto be = make_cuda();
  auto a = upload_f32(*be, random_floats(32, 1), 32), b = upload_f32(*be, random_floats(32, 2), 32);
  const int reps = 64;
  auto run = [&] {
    for (int r = 0; r < reps; ++r) be->add(a.t, b.t, a.t);
    be->synchronize();
  };
  run();
  run();
  const auto t0 = std::chrono::steady_clock::now();
  run();
  std::printf("PERF one small kernel in a graph: %.2f us\n", seconds(t0) / reps * 1e6);
}

TEST(CudaPerf, DISABLED_Attention) {
  IMP_REQUIRE_CUDA();
  auto be = make_cuda();
  const AttentionParams p{32, 32, 128, 0.088f};
  const int64_t kvd = 4096;
  for (int32_t ctx : {128, 512, 4096}) {
    for (int64_t n_tok : {int64_t{1}, int64_t{512}}) {
      if (n_tok > ctx) continue;
      BatchInfo info;
      info.block_size = 16;
      std::vector<int32_t> table;
      for (int32_t b = 0; b < (ctx + 15) / 16; ++b) table.push_back(b);
      info.block_tables = {table};
      for (int64_t t = 0; t < n_tok; ++t) {
        info.positions.push_back(static_cast<int32_t>(ctx - n_tok + t));
        info.seq_of_token.push_back(0);
      }
      auto kc = upload(*be, DType::kF16, {kvd, static_cast<int64_t>(table.size()) * 16, 1, 1},
                       pattern_bytes(static_cast<size_t>(kvd * 2 * table.size() * 16), 1).data());
      auto vc = upload(*be, DType::kF16, {kvd, static_cast<int64_t>(table.size()) * 16, 1, 1},
                       pattern_bytes(static_cast<size_t>(kvd * 2 * table.size() * 16), 2).data());
      auto q = upload_f32(*be, random_floats(static_cast<size_t>(kvd * n_tok), 3), kvd);
      auto out = upload(*be, DType::kF32, {kvd, n_tok, 1, 1}, nullptr);
      const int reps = 32;
      auto run = [&] {
        for (int r = 0; r < reps; ++r) be->attention(q.t, kc.t, vc.t, info, p, out.t);
        be->synchronize();
      };
      run();
      run();
      const auto t0 = std::chrono::steady_clock::now();
      run();
      const double s = seconds(t0) / reps;
      std::printf("PERF attention ctx %5d tokens %4ld: %9.2f us  %7.1f GB/s of KV\n", ctx,
                  static_cast<long>(n_tok), s * 1e6, 2.0 * kvd * 2 * ctx / s / 1e9);
    }
  }
}

}  // namespace
}  // namespace impetus::testing
