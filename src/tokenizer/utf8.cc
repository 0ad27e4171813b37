// UTF-8 decoding with the well-formedness table of the Unicode standard
// (chapter 3, table 3-7) and "maximal subpart" replacement.
#include "tokenizer/utf8.h"

namespace impetus {
namespace {

bool in_range(uint8_t b, uint8_t lo, uint8_t hi) { return b >= lo && b <= hi; }

// The allowed range of the second byte after `lead`; 0 bytes for a bad lead.
struct LeadInfo {
  size_t len;
  uint8_t lo;
  uint8_t hi;
};

LeadInfo lead_info(uint8_t lead) {
  if (lead < 0x80) return {1, 0, 0};
  if (in_range(lead, 0xC2, 0xDF)) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (in_range(lead, 0xE1, 0xEF)) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  if (in_range(lead, 0xF1, 0xF3)) return {4, 0x80, 0xBF};
  return {0, 0, 0};
}

}  // namespace

Utf8Decoded utf8_decode(std::string_view text, size_t pos) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  const LeadInfo info = lead_info(lead);
  if (info.len == 0) return {Utf8Status::kInvalid, 0, 1};
  if (info.len == 1) return {Utf8Status::kValid, lead, 1};
  static constexpr uint8_t kLeadMask[5] = {0, 0, 0x1F, 0x0F, 0x07};
  uint32_t cp = lead & kLeadMask[info.len];
  for (size_t k = 1; k < info.len; ++k) {
    if (pos + k >= text.size()) return {Utf8Status::kIncomplete, 0, k};
    const auto b = static_cast<uint8_t>(text[pos + k]);
    const bool ok = k == 1 ? in_range(b, info.lo, info.hi) : in_range(b, 0x80, 0xBF);
    if (!ok) return {Utf8Status::kInvalid, 0, k};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {Utf8Status::kValid, cp, info.len};
}

void utf8_append(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t utf8_append_sanitized(std::string_view text, std::string* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Decoded d = utf8_decode(text, pos);
    if (d.status == Utf8Status::kIncomplete) break;
    if (d.status == Utf8Status::kValid) {
      out->append(text.substr(pos, d.len));
    } else {
      out->append(kUtf8Replacement);
    }
    pos += d.len;
  }
  return pos;
}

std::string utf8_sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const size_t used = utf8_append_sanitized(text, &out);
  if (used < text.size()) out.append(kUtf8Replacement);
  return out;
}

}  // namespace impetus
