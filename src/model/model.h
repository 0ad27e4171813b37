// Model: a loaded decoder-only transformer (any supported family) bound to
// a backend. Loading maps the GGUF file and hands each weight to the backend
// (the CPU uses the mapping in place: no second copy). forward() runs one
// batch of tokens from any number of sequences against a paged KV cache.
//
// A model may be split between two backends (partial GPU offload, like
// llama.cpp's --n-gpu-layers): the primary backend (the GPU) runs the last
// n_primary_layers decoder layers, the final norm and the output matrix; a
// host backend (the CPU) looks up the token embeddings and runs the first
// layers, with their weights used straight from the mapped file. Each
// layer's KV cache lives on its layer's backend (KvCache::create(model, ...));
// forward() hands the activations over once, where the backends change.
//
//   IMP_ASSIGN_OR_RETURN(auto model, Model::load("m.gguf", backend));
//   ForwardBatch b; b.add(token, pos, 0, true); b.info.block_tables = {{0, 1}};
//   std::vector<float> logits;  // (n_outputs, n_vocab)
//   IMP_RETURN_IF_ERROR(model->forward(b, *cache, &logits));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/arch/arch.h"
#include "model/formats/gguf_reader.h"
#include "model/forward_batch.h"
#include "model/kv_cache.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace impetus {

// Where a model's layers go when it is split between two backends.
struct LayerSplit {
  Backend* host = nullptr;        // runs the embedding and the first layers; null: no split
  // Decoder layers (the last ones) on the primary backend: -1 or >= n_layer
  // puts everything on the primary (no split); 0 is invalid with a host.
  int32_t n_primary_layers = -1;
};

class Model {
 public:
  // mode kRead reads the whole file into memory instead of mapping it.
  static StatusOr<std::unique_ptr<Model>> load(const std::string& path, Backend& backend,
                                               FileLoadMode mode = FileLoadMode::kMmap);
  // Split between `backend` (primary) and split.host (see LayerSplit).
  static StatusOr<std::unique_ptr<Model>> load(const std::string& path, Backend& backend,
                                               const LayerSplit& split,
                                               FileLoadMode mode = FileLoadMode::kMmap);
  static StatusOr<std::unique_ptr<Model>> from_gguf(std::unique_ptr<GgufFile> gguf,
                                                   Backend& backend, const LayerSplit& split = {});

  const ModelConfig& config() const { return config_; }
  const GgufFile& gguf() const { return *gguf_; }
  // The primary backend: the only one unless split().
  Backend& backend() { return backend_; }
  // True when the first layers run on a host backend.
  bool split() const { return host_ != nullptr; }
  Backend* host_backend() const { return host_; }
  // Index of the first layer on the primary backend (0 unless split).
  int32_t first_primary_layer() const { return first_primary_layer_; }
  Backend& layer_backend(int il) const { return il < first_primary_layer_ ? *host_ : backend_; }
  // Weight bytes loaded: in all, on the primary and on the host backend (a
  // tied embedding/output matrix is loaded on both when split).
  size_t weight_bytes() const { return weight_bytes_; }
  size_t primary_weight_bytes() const { return weight_bytes_ - host_weight_bytes_; }
  size_t host_weight_bytes() const { return host_weight_bytes_; }

  // Runs the batch; appends nothing to the cache beyond the batch's slots.
  // logits receives (output_rows.size(), n_vocab) floats. Validates token ids,
  // positions and block tables (INVALID_ARGUMENT / OUT_OF_RANGE on bad input).
  Status forward(const ForwardBatch& batch, KvCache& cache, std::vector<float>* logits);
  // forward() for greedy decoding: ids receives each output row's argmax
  // (core/argmax.h's rule, as the sampler picks), computed by the backend so
  // that a GPU copies ids instead of the logits.
  Status forward_greedy(const ForwardBatch& batch, KvCache& cache, std::vector<int32_t>* ids);

 private:
  // Activation scratch of one backend, grown on demand: rows are tokens.
  // The host's has no output rows (out_x, logits).
  struct Scratch {
    int64_t n_tokens = 0, n_outputs = 0;
    std::vector<std::unique_ptr<Buffer>> buffers;
    Tensor x, xn, q, k, v, attn, gate, up, out_x, logits;
  };

  Model(std::unique_ptr<GgufFile> gguf, Backend& backend)
      : gguf_(std::move(gguf)), backend_(backend) {}
  Status apply_split(const LayerSplit& split);
  Status load_weights(const ArchFamily& family);
  Status validate(const ForwardBatch& batch, const KvCache& cache) const;
  // The forward pass up to the logits of the batch's output rows, left on
  // the primary backend (an empty tensor when there are none).
  StatusOr<Tensor> compute_logits(const ForwardBatch& batch, KvCache& cache);
  Status ensure_scratch(int64_t n_tokens, int64_t n_outputs);
  Status ensure_scratch_on(Backend& be, Scratch& s, int64_t n_tokens, int64_t n_outputs);
  Scratch& layer_scratch(int il) { return il < first_primary_layer_ ? host_scratch_ : scratch_; }
  void hand_over(int64_t n_tok);
  void run_layer(int il, const ForwardBatch& batch, KvCache& cache, int64_t n_tok);

  std::unique_ptr<GgufFile> gguf_;
  Backend& backend_;
  Backend* host_ = nullptr;
  int32_t first_primary_layer_ = 0;
  ModelConfig config_;
  ModelWeights weights_;          // each layer's tensors on its layer's backend
  Tensor host_rope_freqs_;        // rope_freqs on the host backend when split
  size_t weight_bytes_ = 0;
  size_t host_weight_bytes_ = 0;

  Scratch scratch_;               // on the primary backend
  Scratch host_scratch_;          // on the host backend when split
  std::vector<float> hand_over_;  // host staging of x between the backends
};

}  // namespace impetus
