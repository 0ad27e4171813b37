#include "model/model_config.h"

#include <cmath>

namespace impetus {
namespace {

Status read_positive(const GgufFile& g, const std::string& key, int32_t* out) {
  auto v = g.get_int(key);
  if (!v.ok()) return v.status();
  if (*v <= 0 || *v > (1 << 24)) {
    return invalid_argument("metadata '" + key + "' = " + std::to_string(*v) + " is out of range");
  }
  *out = static_cast<int32_t>(*v);
  return ok_status();
}

Status read_rope_scaling(const GgufFile& g, const std::string& a, ModelConfig* c) {
  IMP_ASSIGN_OR_RETURN(std::string type, g.get_string_or(a + ".rope.scaling.type", "none"));
  IMP_ASSIGN_OR_RETURN(double factor, g.get_float_or(a + ".rope.scaling.factor", 0.0));
  if (factor == 0.0) {
    IMP_ASSIGN_OR_RETURN(factor, g.get_float_or(a + ".rope.scale_linear", 0.0));
    if (factor != 0.0 && type == "none") type = "linear";
  }
  if (type == "none" || factor == 0.0 || factor == 1.0) return ok_status();
  if (type == "linear") {
    if (!(factor > 0.0) || !std::isfinite(factor)) {
      return invalid_argument("rope scaling factor must be positive");
    }
    c->rope_freq_scale = static_cast<float>(1.0 / factor);
    return ok_status();
  }
  if (type == "llama3") return ok_status();  // carried by the rope_freqs.weight tensor
  return unimplemented("rope scaling type '" + type + "' is not supported yet");
}

}  // namespace

StatusOr<ModelConfig> read_model_config(const GgufFile& g, RopeMode rope_mode) {
  ModelConfig c;
  IMP_ASSIGN_OR_RETURN(c.arch, g.get_string("general.architecture"));
  IMP_ASSIGN_OR_RETURN(c.name, g.get_string_or("general.name", ""));
  const std::string& a = c.arch;
  IMP_RETURN_IF_ERROR(read_positive(g, a + ".embedding_length", &c.n_embd));
  IMP_RETURN_IF_ERROR(read_positive(g, a + ".block_count", &c.n_layer));
  IMP_RETURN_IF_ERROR(read_positive(g, a + ".feed_forward_length", &c.n_ff));
  IMP_RETURN_IF_ERROR(read_positive(g, a + ".attention.head_count", &c.n_head));
  c.n_head_kv = c.n_head;
  if (g.find(a + ".attention.head_count_kv")) {
    IMP_RETURN_IF_ERROR(read_positive(g, a + ".attention.head_count_kv", &c.n_head_kv));
  }
  if (c.n_head % c.n_head_kv != 0) {
    return invalid_argument("head_count " + std::to_string(c.n_head) +
                            " is not a multiple of head_count_kv " + std::to_string(c.n_head_kv));
  }
  if (g.find(a + ".attention.key_length")) {
    IMP_RETURN_IF_ERROR(read_positive(g, a + ".attention.key_length", &c.head_dim));
  } else {
    if (c.n_embd % c.n_head != 0) return invalid_argument("embedding_length not divisible by heads");
    c.head_dim = c.n_embd / c.n_head;
  }
  if (g.find(a + ".attention.value_length")) {
    int32_t v_len = 0;
    IMP_RETURN_IF_ERROR(read_positive(g, a + ".attention.value_length", &v_len));
    if (v_len != c.head_dim) return unimplemented("value_length != key_length is not supported");
  }
  c.n_ctx_train = 4096;
  if (g.find(a + ".context_length")) {
    IMP_RETURN_IF_ERROR(read_positive(g, a + ".context_length", &c.n_ctx_train));
  }
  IMP_ASSIGN_OR_RETURN(double eps, g.get_float_or(a + ".attention.layer_norm_rms_epsilon", 1e-5));
  if (!(eps > 0.0 && eps < 1.0)) return invalid_argument("layer_norm_rms_epsilon out of range");
  c.rms_eps = static_cast<float>(eps);
  c.rope_mode = rope_mode;
  c.n_rot = c.head_dim;
  if (g.find(a + ".rope.dimension_count")) {
    IMP_RETURN_IF_ERROR(read_positive(g, a + ".rope.dimension_count", &c.n_rot));
  }
  if (c.n_rot > c.head_dim || c.n_rot % 2 != 0) {
    return invalid_argument("rope.dimension_count must be even and at most the head size");
  }
  IMP_ASSIGN_OR_RETURN(double base, g.get_float_or(a + ".rope.freq_base", 10000.0));
  if (!(base > 1.0) || !std::isfinite(base)) return invalid_argument("rope.freq_base out of range");
  c.rope_freq_base = static_cast<float>(base);
  IMP_RETURN_IF_ERROR(read_rope_scaling(g, a, &c));
  // The vocabulary size: explicit key, else the tokenizer's token list, else the embedding.
  if (g.find(a + ".vocab_size")) {
    IMP_RETURN_IF_ERROR(read_positive(g, a + ".vocab_size", &c.n_vocab));
  } else if (const GgufValue* toks = g.find("tokenizer.ggml.tokens");
             toks && toks->type == GgufType::kArray) {
    c.n_vocab = static_cast<int32_t>(toks->array.size());
  } else if (const GgufTensorInfo* e = g.find_tensor("token_embd.weight")) {
    c.n_vocab = static_cast<int32_t>(e->ne[1]);
  }
  if (c.n_vocab <= 0) return invalid_argument("cannot determine the vocabulary size");
  return c;
}

}  // namespace impetus
