#include "app/synth_model.h"

#include <cmath>
#include <cstdio>
#include <thread>

#include "core/thread_pool.h"
#include "model/formats/gguf_reader.h"
#include "model/formats/gguf_writer.h"
#include "tensor/quant/quant.h"

namespace impetus::app {
namespace {

// GGUF token types (llama.cpp's llama_token_type numbering).
constexpr int32_t kTokNormal = 1, kTokUnknown = 2, kTokControl = 3, kTokByte = 6;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// n normal values N(0, stddev^2) from a stream keyed by (seed, tensor, row):
// Box-Muller on two 24-bit uniforms per 64-bit draw.
void normal_row(uint64_t seed, uint64_t tensor, uint64_t row, float stddev, float* out,
                int64_t n) {
  uint64_t state = seed;
  state = splitmix64(state) ^ (tensor * 0xd1b54a32d192ed03ull);
  state = splitmix64(state) ^ (row * 0x8cb92ba72f3d8dd7ull);
  constexpr float kInv24 = 1.0f / 16777216.0f;
  constexpr float kTwoPi = 6.28318530717958647692f;
  for (int64_t i = 0; i < n; i += 2) {
    const uint64_t bits = splitmix64(state);
    const float u1 = static_cast<float>((bits >> 40) + 1) * kInv24;  // (0, 1]
    const float u2 = static_cast<float>((bits >> 16) & 0xffffff) * kInv24;
    const float r = stddev * std::sqrt(-2.0f * std::log(u1));
    out[i] = r * std::cos(kTwoPi * u2);
    if (i + 1 < n) out[i + 1] = r * std::sin(kTwoPi * u2);
  }
}

// Adds a lazily generated random matrix {n_in, n_out} of `type`.
Status add_random_matrix(GgufWriter& w, ThreadPool& pool, const SynthOptions& o,
                         uint64_t tensor_id, const std::string& name, int64_t n_in,
                         int64_t n_out) {
  const DType type = o.type;
  auto fill = [&pool, &o, type, tensor_id, n_in, n_out](uint8_t* dst) -> Status {
    const int64_t row_bytes = dtype_row_bytes(type, n_in);
    pool.parallel_ranges(n_out, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(n_in));
      for (int64_t r = r0; r < r1; ++r) {
        normal_row(o.seed, tensor_id, static_cast<uint64_t>(r), o.stddev, row.data(), n_in);
        quantize_row(type, row.data(), dst + r * row_bytes, n_in);
      }
    });
    return ok_status();
  };
  return w.add_tensor_lazy(name, type, {n_in, n_out}, fill);
}

Status add_ones(GgufWriter& w, const std::string& name, int64_t n) {
  return w.add_f32_tensor(name, {n}, std::vector<float>(static_cast<size_t>(n), 1.0f));
}

void set_u32(GgufWriter& w, const std::string& key, int64_t v) {
  w.set(key, GgufValue::make_u32(static_cast<uint32_t>(v)));
}

// llama.cpp's general.file_type for a file whose matrices are all `type`
// (K-quants: the "_S" variants, which is what a single type means).
uint32_t file_type_of(DType type) {
  switch (type) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ4_1: return 3;
    case DType::kQ8_0: return 7;
    case DType::kQ5_0: return 8;
    case DType::kQ5_1: return 9;
    case DType::kQ4_K: return 14;
    case DType::kQ5_K: return 16;
    case DType::kQ6_K: return 18;
    case DType::kBF16: return 32;
    default: return 0;
  }
}

void write_hparams(GgufWriter& w, const SynthShape& s, DType type) {
  w.set("general.architecture", GgufValue::make_string("llama"));
  w.set("general.name", GgufValue::make_string("synth-" + s.name));
  w.set("general.file_type", GgufValue::make_u32(file_type_of(type)));
  set_u32(w, "llama.context_length", s.n_ctx);
  set_u32(w, "llama.embedding_length", s.n_embd);
  set_u32(w, "llama.block_count", s.n_layer);
  set_u32(w, "llama.feed_forward_length", s.n_ff);
  set_u32(w, "llama.attention.head_count", s.n_head);
  set_u32(w, "llama.attention.head_count_kv", s.n_head_kv);
  set_u32(w, "llama.rope.dimension_count", s.n_embd / s.n_head);
  set_u32(w, "llama.vocab_size", s.n_vocab);
  w.set("llama.attention.layer_norm_rms_epsilon", GgufValue::make_f32(1e-5f));
  w.set("llama.rope.freq_base", GgufValue::make_f32(10000.0f));
}

void write_synth_vocab(GgufWriter& w, int32_t n_vocab) {
  const std::vector<std::string> tokens = synth_vocab_tokens(n_vocab);
  std::vector<float> scores(tokens.size(), 0.0f);
  std::vector<int32_t> types(tokens.size(), kTokNormal);
  types[0] = kTokUnknown;
  types[1] = types[2] = kTokControl;
  for (int i = 3; i < 259; ++i) types[static_cast<size_t>(i)] = kTokByte;
  // Earlier pieces merge first, as in a trained SentencePiece model.
  for (size_t i = 259; i < tokens.size(); ++i) scores[i] = -static_cast<float>(i - 259);
  w.set("tokenizer.ggml.model", GgufValue::make_string("llama"));
  w.set("tokenizer.ggml.tokens", GgufValue::make_string_array(tokens));
  w.set("tokenizer.ggml.scores", GgufValue::make_f32_array(scores));
  w.set("tokenizer.ggml.token_type", GgufValue::make_i32_array(types));
  set_u32(w, "tokenizer.ggml.unknown_token_id", 0);
  set_u32(w, "tokenizer.ggml.bos_token_id", 1);
  set_u32(w, "tokenizer.ggml.eos_token_id", 2);
  w.set("tokenizer.ggml.add_bos_token", GgufValue::make_bool(true));
  w.set("tokenizer.ggml.add_eos_token", GgufValue::make_bool(false));
}

// Copies every tokenizer.* key of `path`; returns its vocabulary size.
StatusOr<int32_t> copy_vocab(GgufWriter& w, const std::string& path) {
  IMP_ASSIGN_OR_RETURN(auto g, GgufFile::open(path));
  const GgufValue* tokens = g->find("tokenizer.ggml.tokens");
  if (tokens == nullptr || tokens->array.empty()) {
    return invalid_argument("'" + path + "' has no tokenizer.ggml.tokens");
  }
  for (const auto& kv : g->metadata()) {
    if (kv.key.rfind("tokenizer.", 0) == 0) w.set(kv.key, kv.value);
  }
  return static_cast<int32_t>(tokens->array.size());
}

Status check_type(const SynthOptions& o) {
  const DType t = o.type;
  if (!can_quantize(t) || t == DType::kQ8_K) {
    return invalid_argument("cannot write weights of type " + std::string(dtype_name(t)) +
                            " (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K "
                            "can be; use `impetus quantize` for mixes such as Q4_K_M)");
  }
  const int64_t bs = dtype_block_size(t);
  if (o.shape.n_embd % bs != 0 || o.shape.n_ff % bs != 0) {
    return invalid_argument("shape '" + o.shape.name + "' rows do not fit " +
                            std::string(dtype_name(t)) + " blocks of " + std::to_string(bs));
  }
  return ok_status();
}

}  // namespace

const std::vector<SynthShape>& synth_shapes() {
  static const std::vector<SynthShape> shapes = {
      {"tinyllama-1.1b", 2048, 22, 32, 4, 5632, 32000, 2048},
      {"llama2-7b", 4096, 32, 32, 32, 11008, 32000, 4096},
      {"tiny", 256, 2, 4, 2, 512, 512, 512},
  };
  return shapes;
}

StatusOr<SynthShape> find_synth_shape(const std::string& name) {
  std::string known;
  for (const auto& s : synth_shapes()) {
    if (s.name == name) return s;
    known += (known.empty() ? "" : ", ") + s.name;
  }
  return not_found("unknown shape '" + name + "' (known: " + known + ")");
}

std::vector<std::string> synth_vocab_tokens(int32_t n_vocab) {
  std::vector<std::string> t = {"<unk>", "<s>", "</s>"};
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    t.emplace_back(hex);
  }
  const std::string space = "\xE2\x96\x81";  // U+2581, SentencePiece's space
  auto push = [&](const std::string& s) {
    if (static_cast<int32_t>(t.size()) < n_vocab) t.push_back(s);
  };
  push(space);
  for (char c = 33; c < 127; ++c) push(std::string(1, c));
  for (char c = 33; c < 127; ++c) push(space + c);
  // Lowercase words of 2, 3, 4... letters, each with and without "▁".
  for (int len = 2; static_cast<int32_t>(t.size()) < n_vocab; ++len) {
    std::string word(static_cast<size_t>(len), 'a');
    for (;;) {
      push(space + word);
      push(word);
      if (static_cast<int32_t>(t.size()) >= n_vocab) break;
      int i = len - 1;  // next word in base-26 order
      while (i >= 0 && word[static_cast<size_t>(i)] == 'z') word[static_cast<size_t>(i--)] = 'a';
      if (i < 0) break;
      ++word[static_cast<size_t>(i)];
    }
  }
  return t;
}

Status write_synth_model(const SynthOptions& options, const std::string& path) {
  SynthOptions o = options;
  IMP_RETURN_IF_ERROR(check_type(o));
  GgufWriter w;
  write_hparams(w, o.shape, o.type);
  if (!o.vocab_path.empty()) {
    IMP_ASSIGN_OR_RETURN(o.shape.n_vocab, copy_vocab(w, o.vocab_path));
    set_u32(w, "llama.vocab_size", o.shape.n_vocab);  // replaces the shape's value in place
  } else if (o.shape.n_vocab < 259) {
    return invalid_argument("a synthetic vocabulary needs at least 259 tokens");
  } else {
    write_synth_vocab(w, o.shape.n_vocab);
  }
  const SynthShape& s = o.shape;
  const int64_t head_dim = s.n_embd / s.n_head, kv_dim = head_dim * s.n_head_kv;
  const int n_threads = o.n_threads > 0 ? o.n_threads
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(n_threads);
  uint64_t id = 0;
  IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, "token_embd.weight", s.n_embd, s.n_vocab));
  for (int il = 0; il < s.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    IMP_RETURN_IF_ERROR(add_ones(w, p + "attn_norm.weight", s.n_embd));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "attn_q.weight", s.n_embd, s.n_embd));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "attn_k.weight", s.n_embd, kv_dim));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "attn_v.weight", s.n_embd, kv_dim));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "attn_output.weight", s.n_embd, s.n_embd));
    IMP_RETURN_IF_ERROR(add_ones(w, p + "ffn_norm.weight", s.n_embd));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "ffn_gate.weight", s.n_embd, s.n_ff));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "ffn_up.weight", s.n_embd, s.n_ff));
    IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, p + "ffn_down.weight", s.n_ff, s.n_embd));
  }
  IMP_RETURN_IF_ERROR(add_ones(w, "output_norm.weight", s.n_embd));
  IMP_RETURN_IF_ERROR(add_random_matrix(w, pool, o, id++, "output.weight", s.n_embd, s.n_vocab));
  return w.write_file(path);
}

}  // namespace impetus::app
