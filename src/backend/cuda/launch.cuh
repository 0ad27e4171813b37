// Kernel launches with programmatic dependent launch (PDL, Hopper and
// newer): a kernel may be scheduled while the one before it in the stream
// still runs. Every kernel of this backend therefore calls
// wait_for_previous_grid() before it reads anything an earlier kernel
// wrote (the wait returns once the previous grid has finished and its
// writes are visible); the matrix-vector kernels first start streaming
// their weights, which no kernel writes. Without PDL (older GPUs, or turned
// off) both calls do nothing and launches are ordinary.
#pragma once

#include <cuda_runtime.h>

#include <utility>

#include "backend/cuda/kernels.h"

namespace impetus::cuda {

__device__ __forceinline__ void wait_for_previous_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

// Lets the next kernel be scheduled (it still waits for this one's results).
__device__ __forceinline__ void allow_next_grid() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// Applies per-kernel attributes once (the shared-memory carveout, when
// IMPETUS_CUDA_CARVEOUT asks for one: the same split for every kernel
// keeps the SMs from reconfiguring between kernels).
void prepare_kernel(const void* fn);

template <typename... KArgs, typename... Args>
void launch_kernel(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                   Args&&... args) {
  prepare_kernel(reinterpret_cast<const void*>(kernel));
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = grid;
  cfg.blockDim = block;
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cfg.attrs = &attr;
  cfg.numAttrs = programmatic_launch() ? 1 : 0;
  IMP_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, std::forward<Args>(args)...));
}

}  // namespace impetus::cuda
