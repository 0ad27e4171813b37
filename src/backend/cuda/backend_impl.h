// CudaBackend::Impl: the state behind the CUDA backend (device, stream,
// cuBLAS, the arena of per-list host data, scratch buffers, the recorded
// command list and the CUDA graph cache) and the pieces of the executor.
// Internal to src/backend/cuda.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <list>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/cuda/commands.h"
#include "backend/cuda/cuda_backend.h"

namespace impetus {

// A device allocation that grows on demand; replaced buffers are kept
// until the next synchronization (recorded commands may still use them).
struct GrowBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
};

struct GraphEntry {
  uint64_t hash = 0;
  std::vector<cuda::Cmd> cmds;  // as recorded (before fusion)
  size_t arena_used = 0;
  cudaGraphExec_t exec = nullptr;
};

struct CudaBackend::Impl {
  CudaBackendOptions options;
  CudaDeviceInfo info;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;

  // Host data of the open command list, copied to dev_arena when it runs.
  uint8_t* host_arena = nullptr;  // pinned
  uint8_t* dev_arena = nullptr;
  size_t arena_cap = 0;      // host capacity
  size_t dev_arena_cap = 0;
  size_t arena_used = 0;
  cudaEvent_t arena_free = nullptr;  // recorded after the last list ran
  bool arena_event_pending = false;

  std::vector<cuda::Cmd> cmds;
  uint64_t hash = 0;
  bool open = false;

  // Q8 activations alternate between two buffers (q8_flip counts the
  // quantizations of the open list), so that a product fused with the
  // quantization of its own output (the SwiGLU epilogue) never writes the
  // buffer its other blocks still read.
  enum Scratch { kActQs, kActMeta, kActQs2, kActMeta2, kW16, kX16, kAttnAcc, kAttnMl, kArgmaxIds, kNumScratch };
  int q8_flip = 0;
  GrowBuffer scratch[kNumScratch];
  std::vector<void*> graveyard;

  std::list<GraphEntry> graphs;  // most recently used first
  std::unordered_set<uint64_t> seen;

  uint8_t* read_staging = nullptr;  // pinned
  size_t read_staging_bytes = 0;
  uint8_t* upload_staging[2] = {nullptr, nullptr};  // pinned
  cudaEvent_t upload_done[2] = {nullptr, nullptr};

  int32_t* counters = nullptr;  // kMatvecCounters zeroed ints (fused SwiGLU epilogues)
  // F16 copies of quantized weights (options.f16_weights), by weight pointer.
  std::unordered_map<const void*, void*> f16_weights;
  bool f16_weights_full = false;  // stopped making copies: memory ran short
  std::vector<void*> weights;
  CudaBackendStats stats;
  const float* last_factors = nullptr;  // cudaPointerGetAttributes cache
  bool last_factors_device = false;

  ~Impl();

  // ---- recording (cuda_backend.cc) ----
  void open_list();
  cuda::ArenaRef put(const void* data, size_t bytes);
  void record(const cuda::Cmd& c);
  void* scratch_for(Scratch s, size_t bytes);
  bool is_device_pointer(const float* p);
  void make_f16_copy(const Tensor& w);
  const void* f16_copy(const Tensor& w) const;

  // ---- execution (executor.cc) ----
  void flush();  // runs the open list (asynchronously)
  void sync();   // flush, wait for the device, free replaced scratch
  void execute(const std::vector<cuda::Cmd>& cmds);
  void launch(const cuda::Cmd& c);
  void clear_graphs();
  void ensure_dev_arena();
};

namespace cuda {
// cuBLAS product of a GemmCmd (gemm.cc).
void run_gemm(cublasHandle_t handle, const GemmCmd& g, cudaStream_t stream);
}  // namespace cuda

}  // namespace impetus
