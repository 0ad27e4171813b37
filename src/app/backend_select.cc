#include "app/backend_select.h"

#include "backend/cpu/cpu_backend.h"
#include "core/log.h"

#ifdef IMPETUS_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace impetus::app {
namespace {

constexpr const char* kNoCudaBuild =
    "this impetus binary was built without the CUDA backend (rebuild where nvcc is found, or with "
    "-DIMPETUS_CUDA=ON)";

std::unique_ptr<Backend> make_cpu(const DeviceOptions& o) {
  return std::make_unique<CpuBackend>(CpuBackendOptions{o.n_threads, o.isa});
}

#ifdef IMPETUS_HAVE_CUDA
StatusOr<std::unique_ptr<Backend>> make_cuda(const DeviceOptions&) {
  IMP_ASSIGN_OR_RETURN(auto be, CudaBackend::create(CudaBackendOptions{}));
  return std::unique_ptr<Backend>(std::move(be));
}
#endif

}  // namespace

bool cuda_built() {
#ifdef IMPETUS_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

StatusOr<std::string> resolve_device(const DeviceOptions& o) {
  if (o.device != "auto" && o.device != "cpu" && o.device != "cuda") {
    return invalid_argument("unknown device '" + o.device + "' (expected auto, cpu or cuda)");
  }
  if (o.device == "cpu" || o.gpu_layers == 0) return std::string("cpu");
  if (o.device == "cuda") {
    if (!cuda_built()) return failed_precondition(std::string("--device cuda: ") + kNoCudaBuild);
    return std::string("cuda");
  }
#ifdef IMPETUS_HAVE_CUDA
  if (cuda_device_count() > 0) return std::string("cuda");
#endif
  return std::string("cpu");
}

StatusOr<std::unique_ptr<Backend>> make_backend(const DeviceOptions& o) {
  IMP_ASSIGN_OR_RETURN(std::string device, resolve_device(o));
  if (device == "cpu") return make_cpu(o);
#ifdef IMPETUS_HAVE_CUDA
  auto gpu = make_cuda(o);
  if (gpu.ok() || o.device == "cuda") return gpu;
  IMP_LOG(kWarn, "cannot use the GPU (", gpu.status().message(), "); running on the CPU");
  return make_cpu(o);
#else
  return failed_precondition(kNoCudaBuild);
#endif
}

void add_device_options(CLI::App& cmd, std::string* device, int* gpu_layers) {
  cmd.add_option("--device", *device, "where to run: auto (GPU when present), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->envname("IMPETUS_DEVICE")
      ->capture_default_str();
  cmd.add_option("--gpu-layers", *gpu_layers,
                 "decoder layers on the GPU: -1 = all, 0 = run on the CPU, N = the last N layers on "
                 "the GPU and the others on the CPU (partial offload)")
      ->check(CLI::Range(-1, 1 << 20))
      ->envname("IMPETUS_GPU_LAYERS");
}

StatusOr<double> gpu_copy_bandwidth_gbps(size_t bytes, int runs) {
#ifdef IMPETUS_HAVE_CUDA
  return cuda_copy_bandwidth_gbps(0, bytes, runs);
#else
  (void)bytes;
  (void)runs;
  return failed_precondition(kNoCudaBuild);
#endif
}

std::string gpu_name(const Backend& backend) {
#ifdef IMPETUS_HAVE_CUDA
  if (const auto* cuda = dynamic_cast<const CudaBackend*>(&backend)) return cuda->device().name;
#else
  (void)backend;
#endif
  return "";
}

std::unique_ptr<Backend> make_host_backend(const DeviceOptions& o, const Backend& primary) {
  if (o.gpu_layers <= 0 || dynamic_cast<const CpuBackend*>(&primary) != nullptr) return nullptr;
  return make_cpu(o);
}

StatusOr<std::unique_ptr<Model>> load_on_devices(const std::string& path, const DeviceOptions& o,
                                                 std::unique_ptr<Backend>* primary,
                                                 std::unique_ptr<Backend>* host,
                                                 FileLoadMode mode) {
  IMP_ASSIGN_OR_RETURN(*primary, make_backend(o));
  *host = make_host_backend(o, **primary);
  const LayerSplit split{host->get(), o.gpu_layers};
  IMP_ASSIGN_OR_RETURN(auto model, Model::load(path, **primary, split, mode));
  if (!model->split()) host->reset();  // --gpu-layers >= n_layer: all on the GPU
  return model;
}

}  // namespace impetus::app
