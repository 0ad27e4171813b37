#include "backend/cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "backend/cpu/ops.h"

namespace impetus {
namespace {

class HostBuffer final : public Buffer {
 public:
  HostBuffer(void* p, size_t n) : data_(p), size_(n) {}
  ~HostBuffer() override { std::free(data_); }
  void* data() override { return data_; }
  size_t size() const override { return size_; }

 private:
  void* data_;
  size_t size_;
};

int default_threads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace

CpuBackend::CpuBackend(const CpuBackendOptions& options)
    : pool_(default_threads(options.n_threads)),
      kernels_(&cpu::kernel_table(options.isa.value_or(cpu::default_isa()))) {
  if (options.copy_weights.value_or(cpu::WeightArena::enabled_by_default())) {
    weights_ = std::make_unique<cpu::WeightArena>();
  }
}

StatusOr<std::unique_ptr<Buffer>> CpuBackend::alloc(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) {
    return resource_exhausted("cannot allocate " + std::to_string(bytes) + " bytes of host memory");
  }
  return std::unique_ptr<Buffer>(new HostBuffer(p, bytes));
}

StatusOr<Tensor> CpuBackend::upload_weight(const TensorView& host) {
  if (weights_ == nullptr) return Tensor{host.type, host.ne, const_cast<void*>(host.data)};
  IMP_ASSIGN_OR_RETURN(void* copy, weights_->copy(host.data, host.n_bytes()));
  return Tensor{host.type, host.ne, copy};
}

void CpuBackend::write(Tensor& dst, const void* src, size_t bytes) { std::memcpy(dst.data, src, bytes); }
void CpuBackend::read(const Tensor& src, void* dst, size_t bytes) { std::memcpy(dst, src.data, bytes); }

void CpuBackend::get_rows(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) {
  cpu::get_rows(pool_, table, ids, n, out);
}
void CpuBackend::matmul(const Tensor& w, const Tensor& x, Tensor& y) {
  cpu::matmul_n(pool_, *kernels_, scratch_, &w, 1, x, &y);
}
void CpuBackend::matmul_n(const Tensor* ws, int n, const Tensor& x, Tensor* ys) {
  cpu::matmul_n(pool_, *kernels_, scratch_, ws, n, x, ys);
}
void CpuBackend::add_bias(Tensor& y, const Tensor& bias) { cpu::add_bias(pool_, y, bias); }
void CpuBackend::rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) {
  cpu::rms_norm(pool_, x, w, eps, y);
}
void CpuBackend::rope(Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
                      const RopeParams& p) {
  cpu::rope(pool_, x, n_heads, head_dim, positions, p);
}
void CpuBackend::swiglu(const Tensor& gate, const Tensor& up, Tensor& out) {
  cpu::swiglu(pool_, gate, up, out);
}
void CpuBackend::add(const Tensor& a, const Tensor& b, Tensor& out) { cpu::add(pool_, a, b, out); }
void CpuBackend::kv_store(const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
                          const BatchInfo& batch) {
  cpu::kv_store(pool_, k, v, k_cache, v_cache, batch);
}
void CpuBackend::attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                           const BatchInfo& batch, const AttentionParams& p, Tensor& out) {
  cpu::attention(pool_, *kernels_, q, k_cache, v_cache, batch, p, out);
}

void CpuBackend::argmax_rows(const Tensor& x, int32_t* ids) {
  const int64_t n = x.ne[0];
  for (int64_t r = 0; r < x.n_rows(); ++r) ids[r] = argmax_row(x.f32() + r * n, n);
}

}  // namespace impetus
