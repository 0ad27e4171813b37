// The full CpuBackend matmul (activation conversion, threading, kernels) at
// the shapes of a TinyLlama-1.1B layer, with the backend's default ISA
// (IMPETUS_CPU_ISA picks another):
//   matmul/<type>/<n_in>x<n_out>/tokens:<1|512>/threads:<t>
// Decode (1 token) cycles through enough copies of the weight matrix to
// exceed the caches, so bytes/s is the weight bandwidth it reaches from
// RAM; both report FLOP/s as items/s. Weights go through upload_weight,
// so they sit where a model's would (plain heap copies by default; huge
// pages with IMPETUS_CPU_WEIGHTS=copy).
#include <benchmark/benchmark.h>

#include <memory>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "bench_util.h"

namespace impetus::bench {
namespace {

constexpr size_t kColdBytes = size_t{512} << 20;  // decode weights cycled through: > any L3

struct Shape {
  int64_t n_in, n_out;
};

void bm_matmul(benchmark::State& state, DType type, Shape shape, int64_t n_tok, int n_threads) {
  CpuBackend backend(CpuBackendOptions{n_threads});
  const int64_t w_bytes = dtype_row_bytes(type, shape.n_in) * shape.n_out;
  const size_t n_copies =
      n_tok == 1 ? std::max<size_t>(1, kColdBytes / static_cast<size_t>(w_bytes)) : 1;
  const auto one = random_weights(type, shape.n_in, shape.n_out, 7);
  // Through upload_weight, as a model's weights (huge pages where the backend
  // copies them; else the heap copies themselves).
  const std::vector<std::vector<uint8_t>> heap(n_copies, one);
  std::vector<Tensor> copies;
  for (size_t c = 0; c < n_copies; ++c) {
    auto up =
        backend.upload_weight(TensorView{type, {shape.n_in, shape.n_out, 1, 1}, heap[c].data()});
    if (!up.ok()) {
      state.SkipWithError(up.status().message().c_str());
      return;
    }
    copies.push_back(*up);
  }
  std::vector<float> x = random_floats(shape.n_in * n_tok, 8);
  std::vector<float> y(static_cast<size_t>(shape.n_out * n_tok));
  const Tensor xt = make_tensor(DType::kF32, shape.n_in, n_tok, x.data());
  Tensor yt = make_tensor(DType::kF32, shape.n_out, n_tok, y.data());
  size_t i = 0;
  for (auto _ : state) {
    backend.matmul(copies[i], xt, yt);
    benchmark::DoNotOptimize(y.data());
    i = (i + 1) % n_copies;
  }
  if (n_tok == 1) state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * w_bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 2 * shape.n_in * shape.n_out *
                          n_tok);
  state.SetLabel(std::string(cpu::isa_name(backend.isa())));
}

[[maybe_unused]] const bool kRegistered = [] {
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<int> threads = {1};
  if (hw > 1) threads.push_back(hw);
  for (DType t : {DType::kF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K}) {
    for (Shape s : {Shape{2048, 2048}, Shape{2048, 5632}}) {
      for (int64_t n_tok : {1, 512}) {
        for (int nt : threads) {
          const std::string name = "matmul/" + type_label(t) + "/" + std::to_string(s.n_in) + "x" +
                                   std::to_string(s.n_out) + "/tokens:" + std::to_string(n_tok) +
                                   "/threads:" + std::to_string(nt);
          benchmark::RegisterBenchmark(name.c_str(), bm_matmul, t, s, n_tok, nt)
              ->Unit(n_tok == 1 ? benchmark::kMicrosecond : benchmark::kMillisecond)
              ->UseRealTime();
        }
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace impetus::bench
