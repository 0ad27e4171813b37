// CpuBackend: runs every op on the host with a ThreadPool. Weights are used
// in place from the memory-mapped model file (upload_weight copies nothing),
// unless copying is asked for (CpuBackendOptions::copy_weights or
// IMPETUS_CPU_WEIGHTS=copy): then they are copied into transparent huge
// pages (cpu/weight_arena.h), which decode streams faster, at the price of
// reading the whole file at load and holding the weights in anonymous memory.
// Matrix products go through the kernel table of an instruction-set level
// (scalar, AVX2, AVX-512, NEON), picked at start from what the CPU supports.
#pragma once

#include <memory>

#include <optional>

#include "backend/backend.h"
#include "backend/cpu/isa.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/matmul.h"
#include "backend/cpu/weight_arena.h"
#include "core/thread_pool.h"

namespace impetus {

struct CpuBackendOptions {
  int n_threads = 0;             // 0 = one per hardware thread
  std::optional<cpu::Isa> isa;   // unset = the best this CPU supports (cpu::default_isa())
  std::optional<bool> copy_weights;  // unset = cpu::WeightArena::enabled_by_default()
};

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const CpuBackendOptions& options = {});

  std::string name() const override { return "cpu"; }
  ThreadPool& pool() { return pool_; }
  cpu::Isa isa() const { return kernels_->isa; }

  StatusOr<std::unique_ptr<Buffer>> alloc(size_t bytes) override;
  StatusOr<Tensor> upload_weight(const TensorView& host) override;
  void write(Tensor& dst, const void* src, size_t bytes) override;
  void read(const Tensor& src, void* dst, size_t bytes) override;
  void synchronize() override {}
  void argmax_rows(const Tensor& x, int32_t* ids) override;  // in place, no copy

  void get_rows(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) override;
  void matmul(const Tensor& w, const Tensor& x, Tensor& y) override;
  void matmul_n(const Tensor* ws, int n, const Tensor& x, Tensor* ys) override;
  void add_bias(Tensor& y, const Tensor& bias) override;
  void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) override;
  void rope(Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
            const RopeParams& p) override;
  void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) override;
  void add(const Tensor& a, const Tensor& b, Tensor& out) override;
  void kv_store(const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
                const BatchInfo& batch) override;
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                 const BatchInfo& batch, const AttentionParams& p, Tensor& out) override;

 private:
  ThreadPool pool_;
  const cpu::KernelTable* kernels_;
  cpu::MatmulScratch scratch_;
  std::unique_ptr<cpu::WeightArena> weights_;  // null: weights used in place
};

}  // namespace impetus
