// Backend selection for the CLI commands: `--device auto|cpu|cuda` and
// `--gpu-layers N`. "auto" takes the GPU when this binary was built with
// the CUDA backend and a CUDA device is present (falling back to the CPU,
// with a warning, when the GPU cannot be used); "cuda" fails with a clear
// message when the build has no CUDA or there is no usable GPU.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "backend/backend.h"
#include "backend/cpu/isa.h"

namespace impetus::app {

struct DeviceOptions {
  std::string device = "auto";  // auto | cpu | cuda
  // Layers on the GPU: -1 = all; 0 = none (runs on the CPU). Partial offload
  // is not implemented: any other value runs every layer on the GPU.
  int gpu_layers = -1;
  int n_threads = 0;             // CPU backend threads (0 = all)
  std::optional<cpu::Isa> isa;   // CPU instruction set (unset = the best supported)
};

// True when this binary includes the CUDA backend.
bool cuda_built();

// "cpu" or "cuda": what `device` ("auto", "cpu", "cuda") runs on here.
StatusOr<std::string> resolve_device(const DeviceOptions& options);

StatusOr<std::unique_ptr<Backend>> make_backend(const DeviceOptions& options);
// --gpu-layers N with 0 < N < the model's layer count on the GPU asks for
// partial offload, which is not implemented: FAILED_PRECONDITION saying so
// (never a silent full offload). N = -1 (the default) or N >= n_layer: every
// layer on the chosen device; N = 0: the CPU (resolve_device).
Status check_gpu_layers(const DeviceOptions& options, const Backend& backend, int32_t n_layer);

// Adds --device and --gpu-layers (also read from IMPETUS_DEVICE and
// IMPETUS_GPU_LAYERS) to a subcommand.
void add_device_options(CLI::App& cmd, std::string* device, int* gpu_layers);

// Device-to-device copy bandwidth of GPU 0 in GB/s (bytes read + written),
// best of `runs` copies of `bytes`; an error without CUDA.
StatusOr<double> gpu_copy_bandwidth_gbps(size_t bytes, int runs);

// "NVIDIA H100 80GB HBM3" for a CUDA backend, "" for others.
std::string gpu_name(const Backend& backend);

}  // namespace impetus::app
