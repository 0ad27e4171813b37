// Small UTF-8 helpers for the tokenizers and the streaming detokenizer:
// the length of a sequence from its lead byte, decoding one code point with
// strict validation (no overlongs, no surrogates, nothing above U+10FFFF),
// and encoding one code point.
//
//   Utf8Decoded d = utf8_decode(text, pos);
//   if (d.status == Utf8Status::kValid) { use(d.cp); pos += d.len; }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace impetus {

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD

// Bytes in the sequence introduced by `lead` (1 for ASCII and for bytes that
// cannot start a sequence), the same rule as llama.cpp's unicode_len_utf8.
inline size_t utf8_sequence_length(uint8_t lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

enum class Utf8Status {
  kValid,       // a complete, well-formed sequence: cp and len are set
  kIncomplete,  // a well-formed prefix cut off by the end of the input: len bytes
  kInvalid,     // ill-formed: len is the maximal ill-formed subpart (>= 1 byte)
};

struct Utf8Decoded {
  Utf8Status status = Utf8Status::kInvalid;
  uint32_t cp = 0;  // only for kValid
  size_t len = 0;
};

// Decodes the sequence that starts at text[pos] (pos < text.size()).
Utf8Decoded utf8_decode(std::string_view text, size_t pos);

// Appends the UTF-8 encoding of `cp` (cp <= 0x10FFFF) to `out`.
void utf8_append(uint32_t cp, std::string* out);

// Appends the characters of `text` to `out`, each ill-formed subpart replaced
// by U+FFFD, and stops before a trailing incomplete (but so far well-formed)
// sequence. Returns how many bytes of `text` were consumed.
size_t utf8_append_sanitized(std::string_view text, std::string* out);

// `text` with every ill-formed subpart replaced by U+FFFD (a trailing
// incomplete sequence counts as ill-formed).
std::string utf8_sanitize(std::string_view text);

}  // namespace impetus
