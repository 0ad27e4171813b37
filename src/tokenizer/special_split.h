// Splitting input text at special-token texts before the model tokenizes it
// (llama.cpp's tokenizer_st_partition). The special tokens are tried longest
// first; each one splits every remaining raw-text run at all of its
// occurrences. USER_DEFINED tokens are always split out (as Hugging Face
// does with added tokens); CONTROL and UNKNOWN tokens only when
// parse_special is set. A token with the LSTRIP / RSTRIP attribute swallows
// the ASCII whitespace before / after it.
//
//   for (const TextFragment& f : split_special_tokens(vocab, text, parse_special)) {
//     if (f.is_token()) out.push_back(f.token); else encode(text.substr(f.offset, f.length));
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace impetus {

struct TextFragment {
  int32_t token = -1;  // a special token id, or -1 for raw text
  size_t offset = 0;   // raw text: a byte range of the input
  size_t length = 0;

  bool is_token() const { return token >= 0; }
};

// The fragments of `text` in order; raw-text fragments are never empty.
std::vector<TextFragment> split_special_tokens(const Vocab& vocab, std::string_view text,
                                               bool parse_special);

}  // namespace impetus
