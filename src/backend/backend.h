// Backend: the op interface every compute device implements (CPU now, CUDA
// later). The model's forward pass is written once against it. Ops run in
// issue order; a backend may run them asynchronously until synchronize().
//
// Conventions: activations are F32 row-major matrices {features, n_tokens};
// weight matrices mapping n_in -> n_out features are {n_in, n_out} of any
// supported DType. All ops validate nothing coming from users: callers (the
// model layer) have validated shapes when the model was loaded.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <vector>

#include "backend/batch_info.h"
#include "backend/tensor.h"
#include "core/argmax.h"
#include "core/status.h"
#include "tensor/tensor_view.h"

namespace impetus {

// Memory owned by a backend; released when destroyed.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual void* data() = 0;
  virtual size_t size() const = 0;
};

enum class RopeMode {
  kNormal,  // rotates adjacent pairs (x[2i], x[2i+1]) (llama)
  kNeox,    // rotates (x[i], x[i + n_rot/2]) (qwen2, qwen3, NeoX)
};

struct RopeParams {
  RopeMode mode = RopeMode::kNormal;
  int32_t n_rot = 0;            // rotated dimensions per head (<= head_dim)
  float freq_base = 10000.0f;   // theta_i = pos * freq_scale * base^(-2i/n_rot) / freq_factors[i]
  float freq_scale = 1.0f;      // linear rope scaling: 1 / factor
  const float* freq_factors = nullptr;  // (n_rot/2) per-frequency divisors (llama3), or null
};

struct AttentionParams {
  int32_t n_head = 0;     // query heads
  int32_t n_head_kv = 0;  // key/value heads (n_head % n_head_kv == 0)
  int32_t head_dim = 0;
  float scale = 1.0f;     // usually 1/sqrt(head_dim)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // ---- memory ----
  virtual StatusOr<std::unique_ptr<Buffer>> alloc(size_t bytes) = 0;
  // Makes a weight usable by ops. The CPU backend returns a view of the
  // (memory-mapped) host data without copying; a GPU backend uploads it.
  virtual StatusOr<Tensor> upload_weight(const TensorView& host) = 0;
  virtual void write(Tensor& dst, const void* src, size_t bytes) = 0;   // host -> backend
  virtual void read(const Tensor& src, void* dst, size_t bytes) = 0;    // backend -> host (syncs)
  virtual void synchronize() = 0;

  // ---- ops ----
  // out (F32 {ne0, n}) = rows ids[0..n) of table (any supported dtype), dequantized.
  virtual void get_rows(const Tensor& table, const int32_t* ids, int64_t n, Tensor& out) = 0;
  // y {n_out, n_tok} = x {n_in, n_tok} . w^T, w {n_in, n_out}.
  virtual void matmul(const Tensor& w, const Tensor& x, Tensor& y) = 0;
  // Several weights applied to the same input in one go (q/k/v, gate/up):
  // ys[i] = x . ws[i]^T. Backends may share the input's preparation and the
  // parallel region; the default runs matmul n times.
  virtual void matmul_n(const Tensor* ws, int n, const Tensor& x, Tensor* ys) {
    for (int i = 0; i < n; ++i) matmul(ws[i], x, ys[i]);
  }
  // y[t] += bias for every row t; bias {ne0}.
  virtual void add_bias(Tensor& y, const Tensor& bias) = 0;
  // y = x / rms(x) * w, per row of ne[0] elements; w {ne0} (F32). y may alias x.
  virtual void rms_norm(const Tensor& x, const Tensor& w, float eps, Tensor& y) = 0;
  // In-place rotary embedding of x {head_dim * n_heads, n_tok}; positions (n_tok).
  virtual void rope(Tensor& x, int32_t n_heads, int32_t head_dim, const int32_t* positions,
                    const RopeParams& p) = 0;
  // out = silu(gate) * up, elementwise.
  virtual void swiglu(const Tensor& gate, const Tensor& up, Tensor& out) = 0;
  // out = a + b, elementwise (out may alias a or b).
  virtual void add(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // Stores k, v {kv_dim, n_tok} into caches {kv_dim, n_slots} at the batch's slots.
  virtual void kv_store(const Tensor& k, const Tensor& v, Tensor& k_cache, Tensor& v_cache,
                        const BatchInfo& batch) = 0;
  // ids[r] = argmax of row r of x (F32 {n, rows}) by core/argmax.h's rule
  // (the sampler's greedy pick). The default reads the rows to the host; a
  // GPU backend reduces them on the device and copies only the ids.
  virtual void argmax_rows(const Tensor& x, int32_t* ids) {
    const int64_t n = x.ne[0], rows = x.n_rows();
    std::vector<float> host(static_cast<size_t>(n * rows));
    read(x, host.data(), host.size() * sizeof(float));
    for (int64_t r = 0; r < rows; ++r) ids[r] = argmax_row(host.data() + r * n, n);
  }
  // Causal attention of q {n_head*head_dim, n_tok} over the cached keys and
  // values of each token's sequence (positions 0..pos); out like q.
  virtual void attention(const Tensor& q, const Tensor& k_cache, const Tensor& v_cache,
                         const BatchInfo& batch, const AttentionParams& p, Tensor& out) = 0;
};

}  // namespace impetus
