// CudaBackend: runs every op of backend/backend.h on one NVIDIA GPU.
//
// Weights are uploaded once (upload_weight streams each tensor through a
// pinned staging buffer into its own device allocation; Q4_0 and Q8_0 rows
// are repacked on the way, quants first and scales after them, see
// repack.h; read() and write() convert back and forth, so the layout is
// invisible outside). When enough device memory stays free, quantized
// weights also get an F16 copy (options.f16_weights). Ops are not launched
// one by one: they are recorded into a command list and run when the host
// next needs a result (read(), synchronize(), a large write() or a buffer's
// release). Running a list
//   1. copies all host data the ops took (token ids, positions, KV slots,
//      block tables) to the device in one transfer,
//   2. fuses neighbouring ops where that gives the same results
//      (RMSNorm + activation quantization, SwiGLU + quantization, attention
//      + quantization of its output, matrix-vector product + residual add,
//      RoPE of q and k + KV store),
//   3. launches the kernels, or replays a CUDA graph when the same list
//      (same ops, shapes and buffers; only host data differs) ran before:
//      decode steps become one graph launch each. On Hopper, kernels use
//      programmatic dependent launch: a matrix-vector kernel starts
//      streaming its weights while the kernel before it finishes.
// Matrix products by token count, with the activations rounded to int8
// blocks for quantized weights exactly as the CPU kernels do
// (backend/cpu/kernels.h):
//   1..8 tokens: matrix-vector kernels reading each weight once (Q4_0,
//     Q8_0 and float weights: one warp per row straight from global memory,
//     matvec_direct.cu; K-quants: shared-memory tiles, matvec_tile.cu);
//   Q4_0/Q8_0, 2..32 tokens (batched decode): an int8 tensor-core kernel on
//     the quantized weights instead (matvec_mma.cu);
//   more tokens (prefill, large batches; from 32 when the F16 copies exist):
//     cuBLAS on the tensor cores with F32 accumulation, on the F16 copy or on
//     the weight dequantized to F16 for that product.
//
// This header includes no CUDA header: the app layer includes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "backend/backend.h"

namespace impetus {

struct CudaBackendOptions {
  int device = 0;
  bool graphs = true;  // replay repeated command lists as CUDA graphs (env IMPETUS_CUDA_GRAPHS=0: off)
  bool fuse = true;    // fuse neighbouring ops (env IMPETUS_CUDA_FUSE=0: off)
  bool pdl = true;     // programmatic dependent launch on Hopper+ (env IMPETUS_CUDA_PDL=0: off)
  // RoPE and the KV store inside the attention kernel of decode steps, one
  // kernel less per layer (env IMPETUS_CUDA_ROPE_ATTENTION=0: off).
  bool rope_attention = true;
  // SwiGLU (and its Q8 form) computed by the one-token gate/up product of
  // Q4_0 weights with at least 64 outputs per SM, one kernel less per layer
  // (env IMPETUS_CUDA_SWIGLU_FUSED=0: off).
  bool swiglu_quant = true;
  // Experimental, off by default (measured slower on an H100, see
  // docs/performance.md): RMSNorm/quantization computed inside the one-token
  // matrix-vector kernels (env IMPETUS_CUDA_PROLOGUE=1); Hopper bulk copies
  // for their weights (env IMPETUS_CUDA_BULK=1). Their 16-row tiles with two
  // lanes per row are on by default (env IMPETUS_CUDA_SPLIT_ROWS=0: 32 rows).
  bool prologue_fusion = false;
  // Experimental, off by default (measured slower on an H100): the SwiGLU
  // (and its int8 form) computed in the epilogue of the one-token gate/up
  // product (env IMPETUS_CUDA_SWIGLU_EPILOGUE=1).
  bool swiglu_epilogue = false;
  // Quantized weights also kept dequantized to F16 on the device, when
  // enough memory stays free (see cuda_backend.cc), so that products of
  // more than 8 tokens run cuBLAS on them directly instead of dequantizing
  // the weight at every step (env IMPETUS_CUDA_F16_WEIGHTS=0: off).
  bool f16_weights = true;
};

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int n_sms = 0;
  size_t total_bytes = 0;
  size_t free_bytes = 0;
};

// Counters of what the command lists did, for tests and logs.
struct CudaBackendStats {
  uint64_t lists_run = 0;      // command lists executed
  uint64_t graph_replays = 0;  // of which replayed as a CUDA graph
  uint64_t graph_captures = 0;
  uint64_t fused_ops = 0;      // ops removed by fusion
  uint64_t kernels = 0;        // kernels launched directly (not through graphs)
  size_t weight_bytes = 0;     // device memory taken by uploaded weights
  size_t f16_weight_bytes = 0;  // of which F16 copies of quantized weights (options.f16_weights)
};

// Usable CUDA devices: 0 when there is no driver, no device or no CUDA build.
int cuda_device_count();
StatusOr<CudaDeviceInfo> cuda_device_info(int device);

// Device-to-device copy bandwidth (bytes read + written per second / 1e9),
// best of `runs` copies of `bytes` bytes.
StatusOr<double> cuda_copy_bandwidth_gbps(int device, size_t bytes, int runs);

class CudaBackend final : public Backend {
 public:
  // Fails (UNAVAILABLE) when the device does not exist or cannot be used.
  static StatusOr<std::unique_ptr<CudaBackend>> create(const CudaBackendOptions& options = {});
  ~CudaBackend() override;

  std::string name() const override { return "cuda"; }
  const CudaDeviceInfo& device() const;
  CudaBackendStats stats() const;

  StatusOr<std::unique_ptr<Buffer>> alloc(size_t bytes) override;
  StatusOr<Tensor> upload_weight(const TensorView& host) override;
  void write(Tensor& dst, const void* src, size_t bytes) override;
  void read(const Tensor& src, void* dst, size_t bytes) override;
  void synchronize() override;

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
  // One block per row reduces it on the device; only the ids are copied back.
  void argmax_rows(const Tensor& x, int32_t* ids) override;
  void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                 const BatchInfo& batch, const AttentionParams& p, Tensor& out) override;

  struct Impl;

 private:
  explicit CudaBackend(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the Buffers, which may outlive the backend
};

}  // namespace impetus
