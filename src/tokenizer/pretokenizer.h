// PreTokenizer: the regex splitting that byte-level BPE tokenizers apply before
// merging, one per `tokenizer.ggml.pre` value that llama.cpp knows (gpt-2,
// llama3, qwen2, deepseek-llm, deepseek-coder, falcon, starcoder, ...).
//
// Each pre-tokenizer is the sequence of Hugging Face `tokenizers` split steps
// its tokenizer.json declares: every step runs a regex over every piece the
// previous step produced and keeps both the matches and the text between them
// as pieces ("Isolated" behaviour), so the pieces always cover the whole text.
// Steps that HF runs after the ByteLevel step (falcon's digit splits) see the
// text in the GPT-2 byte alphabet (byte_unicode.h), as HF does.
//
//   IMP_ASSIGN_OR_RETURN(auto pre, PreTokenizer::create("gpt-2"));
//   pre->split("Hello world's 123");  // {"Hello", " world", "'s", " 123"}
//
// Regexes run on ICU with HF's character classes (\s is White_Space).
// Ill-formed UTF-8 never crashes: ICU reads it as U+FFFD and the pieces still
// cover the original bytes.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace impetus {

class PreTokenizer {
 public:
  // The pre-tokenizer llama.cpp calls `pre`; "" and "default" give gpt-2.
  // INVALID_ARGUMENT naming `pre` when it is not one we support.
  static StatusOr<std::unique_ptr<PreTokenizer>> create(std::string_view pre);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Every `pre` value that create() accepts.
  static std::vector<std::string> supported_names();

  // Consecutive non-empty views into `text` that concatenate to `text`.
  // Thread-safe (each call makes its own ICU matchers).
  std::vector<std::string_view> split(std::string_view text) const;

  // Whether the BPE model should emit a piece that is itself a vocabulary
  // token without merging (HF `ignore_merges`, set for llama3 and tekken).
  bool ignore_merges() const { return ignore_merges_; }
  // The canonical name of this pre-tokenizer ("gpt-2", "llama3", ...).
  const std::string& name() const { return name_; }

 private:
  struct Step;  // one compiled regex split (defined in the .cc: ICU stays there)
  PreTokenizer() = default;

  std::string name_;
  bool ignore_merges_ = false;
  std::vector<Step> steps_;
};

}  // namespace impetus
