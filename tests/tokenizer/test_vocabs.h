// Shared loading of the tokenizer test files for the tokenizer tests: the
// llama.cpp vocabularies and stories260K (each loaded once per process), and
// tiny hand-made vocabularies written with GgufWriter.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/formats/gguf_reader.h"
#include "model/formats/gguf_writer.h"
#include "tokenizer/tokenizer.h"

namespace impetus::testing {

// ggml-vocab-<name>.gguf, e.g. "llama-spm", "phi-3", "gpt-2", "bert-bge".
// nullptr (and a test failure naming the error) when it cannot be loaded.
const Tokenizer* vocab_tokenizer(const std::string& name);
// models/stories260K/stories260K.gguf, or nullptr as above.
const Tokenizer* stories_tokenizer();
// The 46 test strings of the llama.cpp vectors.
const std::vector<std::string>& vocab_test_strings();

// A tiny vocabulary: tokens with scores and types (tokenizer.ggml.* keys);
// `extra` lets a test add or override keys before the tokenizer is built.
struct TinyToken {
  std::string text;
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
};
StatusOr<std::unique_ptr<Tokenizer>> tiny_tokenizer(
    const std::string& model, const std::vector<TinyToken>& tokens,
    const std::vector<std::pair<std::string, GgufValue>>& extra = {});

}  // namespace impetus::testing
