// SpmModel: SentencePiece-style tokenization of one run of plain text, as
// llama.cpp's llm_tokenizer_spm does it. The text is split into UTF-8
// characters; adjacent pairs whose concatenation is a vocabulary token are
// merged, highest token score first (leftmost on ties), until no pair
// merges; a final piece that is not a token falls back to its bytes
// (<0xAB> tokens). On ill-formed UTF-8 the characters are cut by the
// Unicode "maximal subpart" rule (llama.cpp trusts the lead byte instead),
// so that a stray lead byte cannot swallow the next character and the
// encoding stays byte-exact; well-formed text tokenizes identically.
//
// The caller prepares the text: the optional space prefix and every ' '
// replaced by U+2581 '▁' (see Tokenizer::encode).
//
//   SpmModel spm(vocab);
//   spm.encode("\xE2\x96\x81Hello", &ids);
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace impetus {

class SpmModel {
 public:
  // `vocab` must outlive the model.
  explicit SpmModel(const Vocab& vocab);

  // Appends the ids of `text` to `out`.
  void encode(std::string_view text, std::vector<int32_t>* out) const;

  // The token for a raw byte: <0xAB>, else the one-byte token, else unk (-1 if none).
  int32_t byte_token(uint8_t byte) const { return byte_tokens_[byte]; }

 private:
  const Vocab& vocab_;
  std::array<int32_t, 256> byte_tokens_{};
};

}  // namespace impetus
