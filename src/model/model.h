// Model: a loaded decoder-only transformer (any supported family) bound to
// a backend. Loading maps the GGUF file and hands each weight to the backend
// (the CPU uses the mapping in place: no second copy). forward() runs one
// batch of tokens from any number of sequences against a paged KV cache.
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

class Model {
 public:
  // mode kRead reads the whole file into memory instead of mapping it.
  static StatusOr<std::unique_ptr<Model>> load(const std::string& path, Backend& backend,
                                               FileLoadMode mode = FileLoadMode::kMmap);
  static StatusOr<std::unique_ptr<Model>> from_gguf(std::unique_ptr<GgufFile> gguf,
                                                   Backend& backend);

  const ModelConfig& config() const { return config_; }
  const GgufFile& gguf() const { return *gguf_; }
  Backend& backend() { return backend_; }
  size_t weight_bytes() const { return weight_bytes_; }

  // Runs the batch; appends nothing to the cache beyond the batch's slots.
  // logits receives (output_rows.size(), n_vocab) floats. Validates token ids,
  // positions and block tables (INVALID_ARGUMENT / OUT_OF_RANGE on bad input).
  Status forward(const ForwardBatch& batch, KvCache& cache, std::vector<float>* logits);

 private:
  Model(std::unique_ptr<GgufFile> gguf, Backend& backend) : gguf_(std::move(gguf)), backend_(backend) {}
  Status load_weights(const ArchFamily& family);
  Status validate(const ForwardBatch& batch, const KvCache& cache) const;
  Status ensure_scratch(int64_t n_tokens, int64_t n_outputs);
  void run_layer(int il, const ForwardBatch& batch, KvCache& cache, int64_t n_tok);

  std::unique_ptr<GgufFile> gguf_;
  Backend& backend_;
  ModelConfig config_;
  ModelWeights weights_;
  size_t weight_bytes_ = 0;

  // Activation scratch, grown on demand: rows are tokens.
  struct Scratch {
    int64_t n_tokens = 0, n_outputs = 0;
    std::vector<std::unique_ptr<Buffer>> buffers;
    Tensor x, xn, q, k, v, attn, gate, up, out_x, logits;
  } scratch_;
};

}  // namespace impetus
