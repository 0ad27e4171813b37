// split_special_tokens: see special_split.h.
#include "tokenizer/special_split.h"

namespace impetus {
namespace {

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Splits one raw fragment at every occurrence of token `id` (whose text is
// `needle`), appending the pieces to `out`.
void split_fragment(std::string_view text, const TextFragment& frag, int32_t id,
                    std::string_view needle, uint32_t attr, std::vector<TextFragment>& out) {
  size_t begin = frag.offset;
  size_t end = frag.offset + frag.length;
  while (begin < end) {
    const std::string_view window = text.substr(begin, end - begin);
    const size_t hit = window.find(needle);
    if (hit == std::string_view::npos) break;
    size_t left_len = hit;
    if (attr & token_attr::kLstrip) {
      while (left_len > 0 && is_ascii_space(text[begin + left_len - 1])) --left_len;
    }
    if (left_len > 0) out.push_back({-1, begin, left_len});
    out.push_back({id, 0, 0});
    begin += hit + needle.size();
    if (attr & token_attr::kRstrip) {
      while (begin < end && is_ascii_space(text[begin])) ++begin;
    }
  }
  if (begin < end) out.push_back({-1, begin, end - begin});
}

}  // namespace

std::vector<TextFragment> split_special_tokens(const Vocab& vocab, std::string_view text,
                                               bool parse_special) {
  std::vector<TextFragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({-1, 0, text.size()});
  std::vector<TextFragment> next;
  for (int32_t id : vocab.special_tokens) {
    const TokenData& data = vocab.tokens[id];
    if (!parse_special && (data.attr & (token_attr::kControl | token_attr::kUnknown))) continue;
    // Every raw fragment lies inside `text`: one search rules most tokens out.
    if (text.find(data.text) == std::string_view::npos) continue;
    next.clear();
    next.reserve(fragments.size() + 2);
    for (const TextFragment& frag : fragments) {
      if (frag.is_token()) {
        next.push_back(frag);
      } else {
        split_fragment(text, frag, id, data.text, data.attr, next);
      }
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace impetus
