// Backend selection for the CLI commands: `--device auto|cpu|cuda` and
// `--gpu-layers N`. "auto" takes the GPU when this binary was built with
// the CUDA backend and a CUDA device is present (falling back to the CPU,
// with a warning, when the GPU cannot be used); "cuda" fails with a clear
// message when the build has no CUDA or there is no usable GPU.
// `--gpu-layers N` with 0 < N < the model's layer count splits the model
// (partial offload): the last N layers, the final norm and the output matrix
// on the GPU, the embedding and the first layers on a second, CPU backend
// (model/model.h, LayerSplit); load_on_devices() makes both and loads.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "backend/backend.h"
#include "backend/cpu/isa.h"
#include "model/model.h"

namespace impetus::app {

struct DeviceOptions {
  std::string device = "auto";  // auto | cpu | cuda
  // Decoder layers on the GPU: -1 or >= n_layer = all; 0 = none (runs on
  // the CPU); otherwise the last N layers (plus the output matrix) on the GPU
  // and the rest on the CPU. Without a GPU everything runs on the CPU.
  int gpu_layers = -1;
  int n_threads = 0;             // CPU backend threads (0 = all)
  std::optional<cpu::Isa> isa;   // CPU instruction set (unset = the best supported)
};

// True when this binary includes the CUDA backend.
bool cuda_built();

// "cpu" or "cuda": what `device` ("auto", "cpu", "cuda") runs on here.
StatusOr<std::string> resolve_device(const DeviceOptions& options);

StatusOr<std::unique_ptr<Backend>> make_backend(const DeviceOptions& options);
// The CPU backend for the first layers of a split model: made (with the
// options' threads and ISA) when options.gpu_layers > 0 and `primary` is not
// the CPU; null otherwise (nothing to split).
std::unique_ptr<Backend> make_host_backend(const DeviceOptions& options, const Backend& primary);

// Makes the backend(s) for `options` and loads the model on them: all on
// *primary, or split with *host when --gpu-layers asks for part of the
// layers on the GPU. *host is null unless the model is split. Both backends
// must outlive the model and its KV caches (KvCache::create(model, ...)).
StatusOr<std::unique_ptr<Model>> load_on_devices(const std::string& path,
                                                 const DeviceOptions& options,
                                                 std::unique_ptr<Backend>* primary,
                                                 std::unique_ptr<Backend>* host,
                                                 FileLoadMode mode = FileLoadMode::kMmap);

// Adds --device and --gpu-layers (also read from IMPETUS_DEVICE and
// IMPETUS_GPU_LAYERS) to a subcommand.
void add_device_options(CLI::App& cmd, std::string* device, int* gpu_layers);

// Device-to-device copy bandwidth of GPU 0 in GB/s (bytes read + written),
// best of `runs` copies of `bytes`; an error without CUDA.
StatusOr<double> gpu_copy_bandwidth_gbps(size_t bytes, int runs);

// "NVIDIA H100 80GB HBM3" for a CUDA backend, "" for others.
std::string gpu_name(const Backend& backend);

}  // namespace impetus::app
