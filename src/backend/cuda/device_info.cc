// CUDA device discovery and the device-to-device copy bandwidth probe.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <string>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/kernels.h"

namespace impetus {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

StatusOr<CudaDeviceInfo> cuda_device_info(int device) {
  const int n = cuda_device_count();
  if (n == 0) return unavailable("no CUDA device found (no driver, no GPU, or CUDA_VISIBLE_DEVICES hides them)");
  if (device < 0 || device >= n) {
    return unavailable("CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(n) +
                       " found)");
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device) != cudaSuccess || cudaSetDevice(device) != cudaSuccess) {
    (void)cudaGetLastError();
    return unavailable("cannot use CUDA device " + std::to_string(device));
  }
  CudaDeviceInfo info;
  info.index = device;
  info.name = prop.name;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.n_sms = prop.multiProcessorCount;
  if (cudaMemGetInfo(&info.free_bytes, &info.total_bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    return unavailable("cannot query the memory of CUDA device " + std::to_string(device));
  }
  return info;
}

StatusOr<double> cuda_copy_bandwidth_gbps(int device, size_t bytes, int runs) {
  IMP_ASSIGN_OR_RETURN(CudaDeviceInfo info, cuda_device_info(device));
  (void)info;
  void* a = nullptr;
  void* b = nullptr;
  if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    (void)cudaFree(a);
    return resource_exhausted("cannot allocate 2 x " + std::to_string(bytes >> 20) + " MiB on the device");
  }
  IMP_CUDA_CHECK(cudaMemset(a, 1, bytes));
  cudaEvent_t start, stop;
  IMP_CUDA_CHECK(cudaEventCreate(&start));
  IMP_CUDA_CHECK(cudaEventCreate(&stop));
  IMP_CUDA_CHECK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice));  // warm-up
  float best_ms = 1e30f;
  for (int r = 0; r < std::max(runs, 1); ++r) {
    IMP_CUDA_CHECK(cudaEventRecord(start));
    IMP_CUDA_CHECK(cudaMemcpyAsync(r % 2 ? a : b, r % 2 ? b : a, bytes, cudaMemcpyDeviceToDevice));
    IMP_CUDA_CHECK(cudaEventRecord(stop));
    IMP_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.0f;
    IMP_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    best_ms = std::min(best_ms, ms);
  }
  (void)cudaEventDestroy(start);
  (void)cudaEventDestroy(stop);
  (void)cudaFree(a);
  (void)cudaFree(b);
  return 2.0 * static_cast<double>(bytes) / (static_cast<double>(best_ms) * 1e-3) / 1e9;
}

}  // namespace impetus
