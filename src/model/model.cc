// Model loading and batch validation; the forward pass is in transformer.cc.
#include "model/model.h"

#include "model/arch/layer_loader.h"

namespace impetus {

StatusOr<std::unique_ptr<Model>> Model::load(const std::string& path, Backend& backend,
                                             FileLoadMode mode) {
  IMP_ASSIGN_OR_RETURN(auto gguf, GgufFile::open(path, mode));
  auto model = from_gguf(std::move(gguf), backend);
  if (!model.ok()) return model.status().with_context("cannot load model '" + path + "'");
  return model;
}

StatusOr<std::unique_ptr<Model>> Model::from_gguf(std::unique_ptr<GgufFile> gguf,
                                                  Backend& backend) {
  IMP_ASSIGN_OR_RETURN(std::string arch, gguf->get_string("general.architecture"));
  const ArchFamily* family = find_arch_family(arch);
  if (family == nullptr) {
    return unimplemented("unknown architecture '" + arch + "' (supported: " +
                         supported_arch_names() + ")");
  }
  std::unique_ptr<Model> model(new Model(std::move(gguf), backend));
  IMP_ASSIGN_OR_RETURN(model->config_, read_model_config(*model->gguf_, family->rope_mode));
  IMP_RETURN_IF_ERROR(model->load_weights(*family));
  return model;
}

Status Model::load_weights(const ArchFamily& family) {
  WeightSource source(*gguf_);
  LayerLoader loader(source, backend_, config_);
  const auto& c = config_;
  auto& w = weights_;
  IMP_ASSIGN_OR_RETURN(w.tok_embd, loader.required("token_embd.weight", c.n_embd, c.n_vocab));
  IMP_ASSIGN_OR_RETURN(w.output_norm, loader.required("output_norm.weight", c.n_embd));
  IMP_ASSIGN_OR_RETURN(w.output, loader.optional("output.weight", c.n_embd, c.n_vocab));
  if (!present(w.output)) w.output = w.tok_embd;  // tied embeddings
  IMP_ASSIGN_OR_RETURN(w.rope_freqs, loader.optional("rope_freqs.weight", c.n_rot / 2));
  w.layers.resize(static_cast<size_t>(c.n_layer));
  for (int il = 0; il < c.n_layer; ++il) {
    IMP_RETURN_IF_ERROR(family.load_layer(loader, il, &w.layers[static_cast<size_t>(il)]));
  }
  // Norms, biases and frequency factors are used as F32 by the ops.
  auto check_f32 = [](const Tensor& t, const char* what) -> Status {
    if (present(t) && t.type != DType::kF32) {
      return unimplemented(std::string(what) + " must be F32, found " +
                           std::string(dtype_name(t.type)));
    }
    return ok_status();
  };
  IMP_RETURN_IF_ERROR(check_f32(w.output_norm, "output_norm.weight"));
  IMP_RETURN_IF_ERROR(check_f32(w.rope_freqs, "rope_freqs.weight"));
  for (const auto& l : w.layers) {
    for (const Tensor* t : {&l.attn_norm, &l.ffn_norm, &l.q_norm, &l.k_norm, &l.bq, &l.bk, &l.bv,
                            &l.bo}) {
      IMP_RETURN_IF_ERROR(check_f32(*t, "norm and bias tensors"));
    }
  }
  weight_bytes_ = loader.bytes_loaded();
  return ok_status();
}

Status Model::validate(const ForwardBatch& b, const KvCache& cache) const {
  const auto& info = b.info;
  const size_t n = b.tokens.size();
  if (n == 0) return invalid_argument("empty batch");
  if (info.positions.size() != n || info.seq_of_token.size() != n) {
    return invalid_argument("batch positions/sequences do not match its tokens");
  }
  if (info.block_size != cache.block_size()) return invalid_argument("batch block size mismatch");
  for (const auto& table : info.block_tables) {
    for (int32_t blk : table) {
      if (blk < 0 || blk >= cache.n_blocks()) return out_of_range("block id out of range");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (b.tokens[i] < 0 || b.tokens[i] >= config_.n_vocab) {
      return out_of_range("token id " + std::to_string(b.tokens[i]) + " outside the vocabulary");
    }
    const int32_t s = info.seq_of_token[i];
    if (s < 0 || static_cast<size_t>(s) >= info.block_tables.size()) {
      return invalid_argument("token refers to an unknown sequence");
    }
    const int64_t cap = static_cast<int64_t>(info.block_tables[s].size()) * info.block_size;
    if (info.positions[i] < 0 || info.positions[i] >= cap) {
      return out_of_range("position " + std::to_string(info.positions[i]) +
                          " is outside the sequence's KV blocks");
    }
  }
  for (int32_t r : b.output_rows) {
    if (r < 0 || static_cast<size_t>(r) >= n) return invalid_argument("output row out of range");
  }
  return ok_status();
}

}  // namespace impetus
