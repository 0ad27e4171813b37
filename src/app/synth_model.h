// Synthetic models for benchmarks: a llama-architecture GGUF file with the
// shape of a real model (TinyLlama-1.1B, Llama-2-7B, or a tiny one for
// tests) and random weights, so speed can be measured without downloading
// anything. Weights are N(0, stddev^2), norms 1.0; each tensor is generated
// only while the file is written (several threads, deterministic for a
// seed whatever the thread count), so a 13 GB model never sits in memory.
// The file carries a llama (SentencePiece) tokenizer: a synthetic one, or
// the tokenizer.* metadata copied from another GGUF file.
//
//   SynthOptions o;
//   o.shape = *find_synth_shape("tinyllama-1.1b");
//   o.type = DType::kQ4_0;
//   IMP_RETURN_IF_ERROR(write_synth_model(o, "tinyllama-q4_0.gguf"));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "tensor/dtype.h"

namespace impetus::app {

struct SynthShape {
  std::string name;       // "tinyllama-1.1b"
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t n_ff = 0;
  int32_t n_vocab = 0;    // replaced by the vocabulary's size when one is copied
  int32_t n_ctx = 0;      // training context written to the metadata
};

// The known shapes: tinyllama-1.1b, llama2-7b, tiny.
const std::vector<SynthShape>& synth_shapes();
// NOT_FOUND (listing the known names) for an unknown name.
StatusOr<SynthShape> find_synth_shape(const std::string& name);

struct SynthOptions {
  SynthShape shape;
  DType type = DType::kF16;  // type of every weight matrix (norms stay F32)
  uint64_t seed = 1;         // same seed, same file
  float stddev = 0.02f;      // of the random weights
  std::string vocab_path;    // GGUF whose tokenizer.* metadata is copied; "" = synthetic vocab
  int n_threads = 0;         // generation threads (0 = all hardware threads)
};

// INVALID_ARGUMENT for a type that cannot be written (no quantizer, or rows
// not a multiple of its block size); errors of reading the vocab file or
// writing the output are passed on.
Status write_synth_model(const SynthOptions& options, const std::string& path);

// The synthetic SentencePiece vocabulary of n_vocab >= 259 tokens: <unk>,
// <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then pieces ("▁", printable
// ASCII, and short lowercase words with and without "▁").
std::vector<std::string> synth_vocab_tokens(int32_t n_vocab);

}  // namespace impetus::app
