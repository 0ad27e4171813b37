// WordPieceModel and the BERT normalizer, on top of ICU.
#include "tokenizer/wordpiece_model.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "core/check.h"
#include "tokenizer/utf8.h"

namespace impetus {
namespace {

constexpr size_t kMaxWordChars = 100;  // Hugging Face's max_input_chars_per_word
constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581

// The CJK ideograph blocks of the Hugging Face Rust BERT normalizer (which
// starts its Extension C range at U+2B920).
bool is_cjk(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_control(UChar32 c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return (U_GET_GC_MASK(c) & U_GC_C_MASK) != 0;
}

bool is_whitespace(UChar32 c) {
  return c == '\t' || c == '\n' || c == '\r' || u_isUWhiteSpace(c);
}

bool is_punctuation(UChar32 c) {
  const bool ascii = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
                     (c >= 123 && c <= 126);
  return ascii || (U_GET_GC_MASK(c) & U_GC_P_MASK) != 0;
}

// Step 1: clean the text and isolate CJK ideographs.
icu::UnicodeString clean_text(std::string_view text) {
  icu::UnicodeString out;
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Decoded d = utf8_decode(text, pos);
    pos += d.len;
    if (d.status != Utf8Status::kValid) continue;
    const auto c = static_cast<UChar32>(d.cp);
    if (c == 0 || c == 0xFFFD || is_control(c)) continue;
    if (is_whitespace(c)) {
      out.append(static_cast<UChar>(' '));
    } else if (is_cjk(c)) {
      out.append(static_cast<UChar>(' ')).append(c).append(static_cast<UChar>(' '));
    } else {
      out.append(c);
    }
  }
  return out;
}

// Step 2: NFD, drop Mn, lowercase.
icu::UnicodeString strip_accents_and_lower(const icu::UnicodeString& text) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(err);
  IMP_CHECK(U_SUCCESS(err), "ICU NFD normalizer unavailable: ", u_errorName(err));
  icu::UnicodeString decomposed = nfd->normalize(text, err);
  IMP_CHECK(U_SUCCESS(err), "ICU NFD failed: ", u_errorName(err));
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < decomposed.length();) {
    const UChar32 c = decomposed.char32At(i);
    i += U16_LENGTH(c);
    if (u_charType(c) != U_NON_SPACING_MARK) stripped.append(c);
  }
  stripped.toLower(icu::Locale::getRoot());
  return stripped;
}

}  // namespace

std::vector<std::string> bert_pre_tokenize(std::string_view text) {
  const icu::UnicodeString norm = strip_accents_and_lower(clean_text(text));
  std::vector<std::string> words;
  std::string word;
  auto finish = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (int32_t i = 0; i < norm.length();) {
    const UChar32 c = norm.char32At(i);
    i += U16_LENGTH(c);
    if (is_whitespace(c)) {
      finish();
    } else if (is_punctuation(c)) {
      finish();
      utf8_append(static_cast<uint32_t>(c), &word);
      finish();
    } else {
      utf8_append(static_cast<uint32_t>(c), &word);
    }
  }
  finish();
  return words;
}

void WordPieceModel::encode(std::string_view text, std::vector<int32_t>* out) const {
  for (const std::string& word : bert_pre_tokenize(text)) encode_word(word, out);
}

void WordPieceModel::encode_word(const std::string& word, std::vector<int32_t>* out) const {
  // Character boundaries of the word (it is well-formed UTF-8 by construction).
  std::vector<size_t> bounds;
  for (size_t pos = 0; pos < word.size(); pos += utf8_sequence_length(static_cast<uint8_t>(word[pos]))) {
    bounds.push_back(pos);
  }
  bounds.push_back(word.size());
  const size_t n_chars = bounds.size() - 1;
  const size_t n_before = out->size();
  std::string key;
  bool ok = n_chars <= kMaxWordChars;
  for (size_t start = 0; ok && start < n_chars;) {
    ok = false;
    for (size_t end = n_chars; end > start; --end) {
      const size_t n_bytes = bounds[end] - bounds[start];
      key.assign(start == 0 ? kWordStart : std::string_view());
      if (key.size() + n_bytes > vocab_.max_token_len) continue;
      key.append(word, bounds[start], n_bytes);
      const int32_t id = vocab_.lookup(key);
      if (id < 0) continue;
      out->push_back(id);
      start = end;
      ok = true;
      break;
    }
  }
  if (!ok) {
    out->resize(n_before);
    if (vocab_.ids.unk >= 0) out->push_back(vocab_.ids.unk);
  }
}

}  // namespace impetus
