// The GPT-2 byte-level alphabet: a fixed bijection between the 256 byte values
// and 256 printable Unicode code points, so that byte-level BPE vocabularies
// (GPT-2, Llama 3, Qwen, DeepSeek, ...) can store every token as visible text.
// Printable Latin-1 bytes ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for
// themselves; the other 68 bytes, in increasing order, take U+0100..U+0143
// (so a space is 'Ġ' U+0120 and a newline is 'Ċ' U+010A).
//
//   std::string mapped;
//   gpt2_bytes_to_unicode("a b", &mapped);    // "aĠb"
//   std::string raw;
//   gpt2_unicode_to_bytes(mapped, &raw);      // "a b"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace impetus {

// The code point that stands for `byte` (always below U+0144).
uint32_t gpt2_byte_to_codepoint(uint8_t byte);

// The byte that code point `cp` stands for, or -1 when cp is not in the alphabet.
int gpt2_codepoint_to_byte(uint32_t cp);

// The UTF-8 encoding (1 or 2 bytes) of the character that stands for `byte`.
std::string_view gpt2_byte_to_utf8(uint8_t byte);

// Appends to `out` the UTF-8 text that stands for `bytes`, one character per byte.
void gpt2_bytes_to_unicode(std::string_view bytes, std::string* out);

// The inverse: appends to `out` the bytes that the characters of `text` stand for.
// Characters outside the alphabet (and ill-formed UTF-8) are copied unchanged.
void gpt2_unicode_to_bytes(std::string_view text, std::string* out);

}  // namespace impetus
