#include "testing/tiny_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/formats/gguf_writer.h"
#include "tensor/quant/quant.h"

namespace impetus::testing {
namespace {

class Builder {
 public:
  Builder(const TinyModelSpec& s) : s_(s), rng_(s.seed) {}

  std::vector<float> normal(int64_t n, float stddev) {
    std::normal_distribution<float> d(0.0f, stddev);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = d(rng_);
    return v;
  }

  // A matrix {n_in, n_out} in the spec's weight type.
  void matrix(GgufWriter& w, const std::string& name, int64_t n_in, int64_t n_out) {
    auto v = normal(n_in * n_out, 1.0f / std::sqrt(static_cast<float>(n_in)));
    const DType t = s_.weight_type;
    std::vector<uint8_t> bytes(static_cast<size_t>(dtype_row_bytes(t, n_in) * n_out));
    for (int64_t r = 0; r < n_out; ++r) {
      quantize_row(t, v.data() + r * n_in, bytes.data() + r * dtype_row_bytes(t, n_in), n_in);
    }
    ASSERT_TRUE(w.add_tensor(name, t, {n_in, n_out}, std::move(bytes)).ok()) << name;
  }

  void vec(GgufWriter& w, const std::string& name, int64_t n, float mean, float stddev) {
    auto v = normal(n, stddev);
    for (auto& x : v) x += mean;
    ASSERT_TRUE(w.add_f32_tensor(name, {n}, v).ok()) << name;
  }

 private:
  const TinyModelSpec& s_;
  std::mt19937_64 rng_;
};

void write_metadata(const TinyModelSpec& s, int32_t head_dim, GgufWriter& w) {
  const std::string& a = s.arch;
  w.set("general.architecture", GgufValue::make_string(a));
  w.set("general.name", GgufValue::make_string("tiny-" + a));
  w.set(a + ".context_length", GgufValue::make_u32(256));
  w.set(a + ".embedding_length", GgufValue::make_u32(static_cast<uint32_t>(s.n_embd)));
  w.set(a + ".block_count", GgufValue::make_u32(static_cast<uint32_t>(s.n_layer)));
  w.set(a + ".feed_forward_length", GgufValue::make_u32(static_cast<uint32_t>(s.n_ff)));
  w.set(a + ".attention.head_count", GgufValue::make_u32(static_cast<uint32_t>(s.n_head)));
  w.set(a + ".attention.head_count_kv", GgufValue::make_u32(static_cast<uint32_t>(s.n_head_kv)));
  w.set(a + ".attention.layer_norm_rms_epsilon", GgufValue::make_f32(1e-5f));
  w.set(a + ".rope.freq_base", GgufValue::make_f32(s.rope_base));
  w.set(a + ".vocab_size", GgufValue::make_u32(static_cast<uint32_t>(s.n_vocab)));
  if (s.head_dim != 0) w.set(a + ".attention.key_length", GgufValue::make_u32(static_cast<uint32_t>(head_dim)));
  if (s.head_dim != 0) w.set(a + ".attention.value_length", GgufValue::make_u32(static_cast<uint32_t>(head_dim)));
  if (s.n_rot != 0) w.set(a + ".rope.dimension_count", GgufValue::make_u32(static_cast<uint32_t>(s.n_rot)));
  if (s.rope_linear_scale > 0) {
    w.set(a + ".rope.scaling.type", GgufValue::make_string("linear"));
    w.set(a + ".rope.scaling.factor", GgufValue::make_f32(s.rope_linear_scale));
  }
}

}  // namespace

TinyModelSpec tiny_spec_for(const std::string& arch, DType type) {
  TinyModelSpec s;
  s.arch = arch;
  s.weight_type = type;
  if (dtype_block_size(type) == 256) {
    s.n_embd = 256;
    s.n_ff = 512;
    s.n_head = 4;
    s.n_head_kv = 2;
  }
  if (arch == "qwen3") s.head_dim = s.n_embd / s.n_head * 2;  // qwen3: q_dim != n_embd
  return s;
}

void write_tiny_model(const TinyModelSpec& s, const std::string& path) {
  const int32_t head_dim = s.head_dim != 0 ? s.head_dim : s.n_embd / s.n_head;
  const int32_t q_dim = s.n_head * head_dim, kv_dim = s.n_head_kv * head_dim;
  const int32_t n_rot = s.n_rot != 0 ? s.n_rot : head_dim;
  GgufWriter w;
  write_metadata(s, head_dim, w);
  Builder b(s);
  b.matrix(w, "token_embd.weight", s.n_embd, s.n_vocab);
  b.vec(w, "output_norm.weight", s.n_embd, 1.0f, 0.1f);
  if (!s.tied_output) b.matrix(w, "output.weight", s.n_embd, s.n_vocab);
  if (s.rope_freqs) {
    std::vector<float> f(static_cast<size_t>(n_rot / 2));
    for (size_t i = 0; i < f.size(); ++i) f[i] = 1.0f + static_cast<float>(i % 4);
    ASSERT_TRUE(w.add_f32_tensor("rope_freqs.weight", {n_rot / 2}, f).ok());
  }
  for (int il = 0; il < s.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    b.vec(w, p + "attn_norm.weight", s.n_embd, 1.0f, 0.1f);
    b.matrix(w, p + "attn_q.weight", s.n_embd, q_dim);
    b.matrix(w, p + "attn_k.weight", s.n_embd, kv_dim);
    b.matrix(w, p + "attn_v.weight", s.n_embd, kv_dim);
    b.matrix(w, p + "attn_output.weight", q_dim, s.n_embd);
    if (s.arch == "qwen2") {
      b.vec(w, p + "attn_q.bias", q_dim, 0.0f, 0.1f);
      b.vec(w, p + "attn_k.bias", kv_dim, 0.0f, 0.1f);
      b.vec(w, p + "attn_v.bias", kv_dim, 0.0f, 0.1f);
    }
    if (s.arch == "qwen3") {
      b.vec(w, p + "attn_q_norm.weight", head_dim, 1.0f, 0.1f);
      b.vec(w, p + "attn_k_norm.weight", head_dim, 1.0f, 0.1f);
    }
    b.vec(w, p + "ffn_norm.weight", s.n_embd, 1.0f, 0.1f);
    b.matrix(w, p + "ffn_gate.weight", s.n_embd, s.n_ff);
    b.matrix(w, p + "ffn_up.weight", s.n_embd, s.n_ff);
    b.matrix(w, p + "ffn_down.weight", s.n_ff, s.n_embd);
  }
  ASSERT_TRUE(w.write_file(path).ok()) << path;
}

}  // namespace impetus::testing
