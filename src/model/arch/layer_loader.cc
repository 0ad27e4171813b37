#include "model/arch/layer_loader.h"

namespace impetus {

std::string LayerLoader::blk(int il, const char* suffix) {
  return "blk." + std::to_string(il) + "." + suffix;
}

StatusOr<Tensor> LayerLoader::optional(const std::string& name, int64_t ne0, int64_t ne1) {
  IMP_ASSIGN_OR_RETURN(auto view, source_.optional(name, {ne0, ne1}));
  if (!view) return Tensor{};
  IMP_ASSIGN_OR_RETURN(Tensor t, backend_.upload_weight(*view));
  bytes_loaded_ += view->n_bytes();
  return t;
}

StatusOr<Tensor> LayerLoader::required(const std::string& name, int64_t ne0, int64_t ne1) {
  IMP_ASSIGN_OR_RETURN(Tensor t, optional(name, ne0, ne1));
  if (!present(t)) return not_found("model tensor '" + name + "' is missing");
  return t;
}

Status LayerLoader::attention(int il, LayerWeights* w) {
  const auto& c = config_;
  IMP_ASSIGN_OR_RETURN(w->attn_norm, required(blk(il, "attn_norm.weight"), c.n_embd));
  IMP_ASSIGN_OR_RETURN(w->wq, required(blk(il, "attn_q.weight"), c.n_embd, c.q_dim()));
  IMP_ASSIGN_OR_RETURN(w->wk, required(blk(il, "attn_k.weight"), c.n_embd, c.kv_dim()));
  IMP_ASSIGN_OR_RETURN(w->wv, required(blk(il, "attn_v.weight"), c.n_embd, c.kv_dim()));
  IMP_ASSIGN_OR_RETURN(w->wo, required(blk(il, "attn_output.weight"), c.q_dim(), c.n_embd));
  return ok_status();
}

Status LayerLoader::attention_biases(int il, LayerWeights* w, bool req) {
  const auto& c = config_;
  auto get = [&](const char* name, int64_t n) {
    return req ? required(blk(il, name), n) : optional(blk(il, name), n);
  };
  IMP_ASSIGN_OR_RETURN(w->bq, get("attn_q.bias", c.q_dim()));
  IMP_ASSIGN_OR_RETURN(w->bk, get("attn_k.bias", c.kv_dim()));
  IMP_ASSIGN_OR_RETURN(w->bv, get("attn_v.bias", c.kv_dim()));
  IMP_ASSIGN_OR_RETURN(w->bo, optional(blk(il, "attn_output.bias"), c.n_embd));
  return ok_status();
}

Status LayerLoader::qk_norm(int il, LayerWeights* w) {
  IMP_ASSIGN_OR_RETURN(w->q_norm, required(blk(il, "attn_q_norm.weight"), config_.head_dim));
  IMP_ASSIGN_OR_RETURN(w->k_norm, required(blk(il, "attn_k_norm.weight"), config_.head_dim));
  return ok_status();
}

Status LayerLoader::swiglu_ffn(int il, LayerWeights* w) {
  const auto& c = config_;
  IMP_ASSIGN_OR_RETURN(w->ffn_norm, required(blk(il, "ffn_norm.weight"), c.n_embd));
  IMP_ASSIGN_OR_RETURN(w->w_gate, required(blk(il, "ffn_gate.weight"), c.n_embd, c.n_ff));
  IMP_ASSIGN_OR_RETURN(w->w_up, required(blk(il, "ffn_up.weight"), c.n_embd, c.n_ff));
  IMP_ASSIGN_OR_RETURN(w->w_down, required(blk(il, "ffn_down.weight"), c.n_ff, c.n_embd));
  return ok_status();
}

}  // namespace impetus
