// Model loading and batch validation; the forward pass is in transformer.cc.
#include "model/model.h"

#include "core/log.h"
#include "model/arch/layer_loader.h"

namespace impetus {

StatusOr<std::unique_ptr<Model>> Model::load(const std::string& path, Backend& backend,
                                             FileLoadMode mode) {
  return load(path, backend, LayerSplit{}, mode);
}

StatusOr<std::unique_ptr<Model>> Model::load(const std::string& path, Backend& backend,
                                             const LayerSplit& split, FileLoadMode mode) {
  IMP_ASSIGN_OR_RETURN(auto gguf, GgufFile::open(path, mode));
  auto model = from_gguf(std::move(gguf), backend, split);
  if (!model.ok()) return model.status().with_context("cannot load model '" + path + "'");
  return model;
}

StatusOr<std::unique_ptr<Model>> Model::from_gguf(std::unique_ptr<GgufFile> gguf,
                                                  Backend& backend, const LayerSplit& split) {
  IMP_ASSIGN_OR_RETURN(std::string arch, gguf->get_string("general.architecture"));
  const ArchFamily* family = find_arch_family(arch);
  if (family == nullptr) {
    return unimplemented("unknown architecture '" + arch + "' (supported: " +
                         supported_arch_names() + ")");
  }
  std::unique_ptr<Model> model(new Model(std::move(gguf), backend));
  IMP_ASSIGN_OR_RETURN(model->config_, read_model_config(*model->gguf_, family->rope_mode));
  IMP_RETURN_IF_ERROR(model->apply_split(split));
  IMP_RETURN_IF_ERROR(model->load_weights(*family));
  if (model->split()) {
    const int32_t n_layer = model->config_.n_layer;
    IMP_LOG(kInfo, "offloading ", n_layer - model->first_primary_layer_, " of ", n_layer,
            " layers to ", backend.name(), " (", model->primary_weight_bytes() >> 20,
            " MiB of weights; ", model->host_weight_bytes() >> 20, " MiB on ",
            model->host_->name(), ")");
  }
  return model;
}

Status Model::apply_split(const LayerSplit& split) {
  if (split.host == nullptr) return ok_status();
  const int32_t n = split.n_primary_layers, n_layer = config_.n_layer;
  if (n == 0 || n < -1) {
    return invalid_argument("a split model needs at least one layer on the primary backend (got " +
                            std::to_string(n) + ")");
  }
  if (split.host == &backend_) {
    return invalid_argument("the host backend of a split is the primary one");
  }
  if (n == -1 || n >= n_layer) return ok_status();  // everything on the primary
  host_ = split.host;
  first_primary_layer_ = n_layer - n;
  return ok_status();
}

Status Model::load_weights(const ArchFamily& family) {
  WeightSource source(*gguf_);
  LayerLoader loader(source, backend_, config_);
  // The host's loader; when not split it is never used.
  LayerLoader host_loader(source, host_ != nullptr ? *host_ : backend_, config_);
  LayerLoader& first = split() ? host_loader : loader;
  const auto& c = config_;
  auto& w = weights_;
  IMP_ASSIGN_OR_RETURN(w.tok_embd, first.required("token_embd.weight", c.n_embd, c.n_vocab));
  IMP_ASSIGN_OR_RETURN(w.output_norm, loader.required("output_norm.weight", c.n_embd));
  IMP_ASSIGN_OR_RETURN(w.output, loader.optional("output.weight", c.n_embd, c.n_vocab));
  if (!present(w.output)) {  // tied embeddings: the primary needs its own copy when split
    if (split()) {
      IMP_ASSIGN_OR_RETURN(w.output, loader.required("token_embd.weight", c.n_embd, c.n_vocab));
    } else {
      w.output = w.tok_embd;
    }
  }
  IMP_ASSIGN_OR_RETURN(w.rope_freqs, loader.optional("rope_freqs.weight", c.n_rot / 2));
  if (split()) {
    IMP_ASSIGN_OR_RETURN(host_rope_freqs_, host_loader.optional("rope_freqs.weight", c.n_rot / 2));
  }
  w.layers.resize(static_cast<size_t>(c.n_layer));
  for (int il = 0; il < c.n_layer; ++il) {
    LayerLoader& l = il < first_primary_layer_ ? host_loader : loader;
    IMP_RETURN_IF_ERROR(family.load_layer(l, il, &w.layers[static_cast<size_t>(il)]));
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
  host_weight_bytes_ = split() ? host_loader.bytes_loaded() : 0;
  weight_bytes_ = loader.bytes_loaded() + host_weight_bytes_;
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
  if (cache.n_layers() != config_.n_layer) {
    return invalid_argument("the KV cache has another layer count");
  }
  for (int il = 0; il < config_.n_layer; ++il) {
    if (&cache.layer_backend(il) != &layer_backend(il)) {
      return invalid_argument("the KV cache of layer " + std::to_string(il) +
                              " is not on that layer's backend (KvCache::create(model, ...))");
    }
  }
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
