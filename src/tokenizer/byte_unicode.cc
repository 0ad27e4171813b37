#include "tokenizer/byte_unicode.h"

#include <array>

namespace impetus {
namespace {

constexpr uint32_t kFirstShifted = 0x100;  // where the non-printable bytes start
constexpr uint32_t kAlphabetEnd = 0x144;   // one past the highest code point used

constexpr bool is_printable_latin1(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<uint32_t, 256> byte_to_cp{};
  std::array<int16_t, kAlphabetEnd> cp_to_byte{};
  std::array<char, 256 * 2> utf8{};  // 2 slots per byte
  std::array<uint8_t, 256> utf8_len{};
};

Tables build_tables() {
  Tables t;
  t.cp_to_byte.fill(-1);
  uint32_t next_shifted = kFirstShifted;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = is_printable_latin1(b) ? static_cast<uint32_t>(b) : next_shifted++;
    t.byte_to_cp[b] = cp;
    t.cp_to_byte[cp] = static_cast<int16_t>(b);
    if (cp < 0x80) {
      t.utf8[2 * b] = static_cast<char>(cp);
      t.utf8_len[b] = 1;
    } else {
      t.utf8[2 * b] = static_cast<char>(0xC0 | (cp >> 6));
      t.utf8[2 * b + 1] = static_cast<char>(0x80 | (cp & 0x3F));
      t.utf8_len[b] = 2;
    }
  }
  return t;
}

const Tables& tables() {
  static const Tables t = build_tables();
  return t;
}

// Decodes one well-formed UTF-8 sequence at text[pos]; returns its length, or 0
// when the bytes there are not a well-formed sequence.
size_t decode_utf8(std::string_view text, size_t pos, uint32_t* cp) {
  const auto c0 = static_cast<uint8_t>(text[pos]);
  if (c0 < 0x80) {
    *cp = c0;
    return 1;
  }
  // Sequence length, payload bits of the lead byte, and the smallest code point
  // that needs this length (anything below is an overlong encoding).
  size_t len = 0;
  uint32_t value = 0;
  uint32_t min_value = 0;
  if ((c0 & 0xE0) == 0xC0) {
    len = 2;
    value = c0 & 0x1F;
    min_value = 0x80;
  } else if ((c0 & 0xF0) == 0xE0) {
    len = 3;
    value = c0 & 0x0F;
    min_value = 0x800;
  } else if ((c0 & 0xF8) == 0xF0) {
    len = 4;
    value = c0 & 0x07;
    min_value = 0x10000;
  } else {
    return 0;
  }
  if (pos + len > text.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    const auto c = static_cast<uint8_t>(text[pos + i]);
    if ((c & 0xC0) != 0x80) return 0;
    value = (value << 6) | (c & 0x3F);
  }
  if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *cp = value;
  return len;
}

}  // namespace

uint32_t gpt2_byte_to_codepoint(uint8_t byte) { return tables().byte_to_cp[byte]; }

int gpt2_codepoint_to_byte(uint32_t cp) { return cp < kAlphabetEnd ? tables().cp_to_byte[cp] : -1; }

std::string_view gpt2_byte_to_utf8(uint8_t byte) {
  const Tables& t = tables();
  return std::string_view(&t.utf8[2 * byte], t.utf8_len[byte]);
}

void gpt2_bytes_to_unicode(std::string_view bytes, std::string* out) {
  out->reserve(out->size() + 2 * bytes.size());
  for (char c : bytes) out->append(gpt2_byte_to_utf8(static_cast<uint8_t>(c)));
}

void gpt2_unicode_to_bytes(std::string_view text, std::string* out) {
  out->reserve(out->size() + text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    uint32_t cp = 0;
    const size_t len = decode_utf8(text, pos, &cp);
    if (len == 0) {  // ill-formed: pass the byte through
      out->push_back(text[pos]);
      ++pos;
      continue;
    }
    const int byte = gpt2_codepoint_to_byte(cp);
    if (byte >= 0) {
      out->push_back(static_cast<char>(byte));
    } else {
      out->append(text.substr(pos, len));
    }
    pos += len;
  }
}

}  // namespace impetus
