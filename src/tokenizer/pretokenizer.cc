#include "tokenizer/pretokenizer.h"

#include <unicode/regex.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>

#include <utility>

#include "tokenizer/byte_unicode.h"

namespace impetus {
namespace {

// Which form of a piece a split step reads.
enum class Domain {
  kText,       // the original UTF-8 text (steps before HF's ByteLevel step)
  kByteLevel,  // the GPT-2 byte alphabet (steps after it; one character per byte)
};

struct StepSpec {
  const char* pattern;  // \s and \S mean HF's whitespace (rewritten before compiling)
  Domain domain;
};

struct PreSpec {
  std::vector<const char*> names;  // names[0] is the canonical one
  std::vector<StepSpec> steps;
  bool ignore_merges;
};

// The regex of GPT-2's ByteLevel pre-tokenizer.
constexpr const char* kGpt2 =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)re";
constexpr const char* kLlama3 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kQwen2 =
    R"re((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
constexpr const char* kTekken =
    R"re([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";
// BLOOM-style: an optional space, then a run of anything but whitespace and a few
// (ASCII and CJK/Indic/Arabic) punctuation marks.
constexpr const char* kBloom =
    R"re( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)re";
constexpr const char* kNewline = R"re([\r\n])re";
constexpr const char* kDigit = R"re(\p{N})re";
constexpr const char* kDigits = R"re(\p{N}+)re";
// CJK ideographs, U+0800..U+4E00 and Hangul, as the DeepSeek tokenizers list them.
constexpr const char* kDeepseekCjk = R"re([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)re";
// DeepSeek LLM's explicit list of cased letters (its tokenizer.json's class).
constexpr const char* kDeepseekLetters =
    R"re(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})re"
    R"re(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A})re"
    R"re(\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556})re"
    R"re(\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF})re"
    R"re(\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D})re"
    R"re(\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D})re"
    R"re(\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4})re"
    R"re(\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4})re"
    R"re(\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124})re"
    R"re(\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F})re"
    R"re(\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4})re"
    R"re(\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F})re"
    R"re(\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17})re"
    R"re(\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3})re"
    R"re(\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF})re"
    R"re(\x{1E900}-\x{1E943}]+)re";
constexpr const char* kDeepseekPunct =
    R"re(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)re";
// HF's tokenizer.json says `\s+$`; pieces hold no newline by then, so $ is the piece end.
constexpr const char* kTrailingSpace = R"re(\s+\z)re";
// HF's Punctuation pre-tokenizer: Unicode punctuation plus all ASCII punctuation.
constexpr const char* kPunctuation = R"re([\p{P}\$\+<=>\^~\|`]+)re";
constexpr const char* kThreeDigits = R"re([0-9][0-9][0-9])re";

const std::vector<PreSpec>& pre_specs() {
  static const std::vector<PreSpec> specs = {
      {{"gpt-2", "default", "", "phi-2", "mpt", "olmo", "jais", "roberta-bpe"},
       {{kGpt2, Domain::kText}},
       false},
      {{"llama3", "llama-bpe", "llama-v3", "falcon3"}, {{kLlama3, Domain::kText}}, true},
      {{"dbrx", "smaug-bpe", "chatglm-bpe"}, {{kLlama3, Domain::kText}}, false},
      {{"qwen2", "stablelm2", "megrez"}, {{kQwen2, Domain::kText}}, false},
      {{"starcoder", "smollm", "refact", "command-r", "codeshell", "exaone", "minerva-7b"},
       {{kDigit, Domain::kText}, {kGpt2, Domain::kText}},
       false},
      {{"deepseek-llm"},
       {{kNewline, Domain::kText},
        {kDeepseekLetters, Domain::kText},
        {kDeepseekPunct, Domain::kText},
        {kTrailingSpace, Domain::kText},
        {kDeepseekCjk, Domain::kText},
        {kDigits, Domain::kText}},
       false},
      {{"deepseek-coder"},
       {{kNewline, Domain::kText},
        {R"re(\s?\p{L}+)re", Domain::kText},
        {R"re(\s?\p{P}+)re", Domain::kText},
        {kDeepseekCjk, Domain::kText},
        {kDigit, Domain::kText}},
       false},
      // HF: Punctuation, ByteLevel (GPT-2 regex), Digits, Split; the last two
      // run after the byte mapping, so e.g. the byte 0xBD reads as '½' (a digit).
      {{"falcon"},
       {{kPunctuation, Domain::kText},
        {kGpt2, Domain::kText},
        {kDigits, Domain::kByteLevel},
        {kThreeDigits, Domain::kByteLevel}},
       false},
      {{"tekken"}, {{kTekken, Domain::kText}}, true},
      {{"bloom", "poro-chat", "gpt3-finnish"}, {{kBloom, Domain::kText}}, false},
      {{"viking"}, {{kBloom, Domain::kText}, {kDigit, Domain::kText}}, false},
  };
  return specs;
}

// Rewrites \s and \S into HF's (Oniguruma's) whitespace: ICU's own \s lacks
// U+000B and U+0085. Other escapes are copied as they are.
std::string rewrite_whitespace(std::string_view pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      if (next == 's') {
        out += "\\p{White_Space}";
      } else if (next == 'S') {
        out += "\\P{White_Space}";
      } else {
        out += '\\';
        out += next;
      }
    } else {
      out += pattern[i];
    }
  }
  return out;
}

struct Range {
  size_t begin;
  size_t end;
};

// Appends to `out` the matches of `matcher` (already reset to a piece that
// starts at byte `base`) and the gaps between them, as byte ranges. In both
// domains an ICU index counts bytes of the piece: UTF-8 UText indices are
// byte offsets, and in the byte alphabet every byte is one UTF-16 unit.
void collect_isolated(icu::RegexMatcher* matcher, size_t base, size_t length,
                      std::vector<Range>* out) {
  UErrorCode status = U_ZERO_ERROR;
  size_t last = 0;
  while (matcher->find(status) && U_SUCCESS(status)) {
    const auto start = static_cast<size_t>(matcher->start64(status));
    const auto end = static_cast<size_t>(matcher->end64(status));
    if (U_FAILURE(status)) break;
    if (start == end) continue;
    if (start > last) out->push_back({base + last, base + start});
    out->push_back({base + start, base + end});
    last = end;
  }
  // On an ICU failure (e.g. its backtracking limit) the rest stays one piece.
  if (last < length) out->push_back({base + last, base + length});
}

}  // namespace

struct PreTokenizer::Step {
  std::unique_ptr<icu::RegexPattern> pattern;
  Domain domain;
};

PreTokenizer::~PreTokenizer() = default;

std::vector<std::string> PreTokenizer::supported_names() {
  std::vector<std::string> names;
  for (const PreSpec& spec : pre_specs()) {
    for (const char* name : spec.names) {
      if (*name != '\0') names.emplace_back(name);
    }
  }
  return names;
}

StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::create(std::string_view pre) {
  for (const PreSpec& spec : pre_specs()) {
    bool found = false;
    for (const char* name : spec.names) found = found || pre == name;
    if (!found) continue;
    std::unique_ptr<PreTokenizer> result(new PreTokenizer());
    result->name_ = spec.names[0];
    result->ignore_merges_ = spec.ignore_merges;
    for (const StepSpec& step : spec.steps) {
      UErrorCode status = U_ZERO_ERROR;
      UParseError parse_error;
      const std::string pattern = rewrite_whitespace(step.pattern);
      std::unique_ptr<icu::RegexPattern> compiled(icu::RegexPattern::compile(
          icu::UnicodeString::fromUTF8(pattern), 0, parse_error, status));
      IMP_CHECK(U_SUCCESS(status) && compiled != nullptr, "bad built-in regex for ", spec.names[0],
                ": ", u_errorName(status), " at offset ", parse_error.offset);
      result->steps_.push_back({std::move(compiled), step.domain});
    }
    return result;
  }
  std::string known;
  for (const std::string& name : supported_names()) known += (known.empty() ? "" : ", ") + name;
  return invalid_argument("unsupported BPE pre-tokenizer '" + std::string(pre) +
                          "' (supported: " + known + ")");
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<Range> pieces;
  if (!text.empty()) pieces.push_back({0, text.size()});
  std::vector<Range> next;
  icu::UnicodeString mapped;
  UText utext = UTEXT_INITIALIZER;
  for (const Step& step : steps_) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> matcher(step.pattern->matcher(status));
    IMP_CHECK(U_SUCCESS(status), "icu matcher: ", u_errorName(status));
    next.clear();
    for (const Range& piece : pieces) {
      const size_t length = piece.end - piece.begin;
      if (step.domain == Domain::kText) {
        utext_openUTF8(&utext, text.data() + piece.begin, static_cast<int64_t>(length), &status);
        IMP_CHECK(U_SUCCESS(status), "utext_openUTF8: ", u_errorName(status));
        matcher->reset(&utext);
      } else {
        mapped.remove();
        for (size_t i = piece.begin; i < piece.end; ++i) {
          mapped.append(
              static_cast<char16_t>(gpt2_byte_to_codepoint(static_cast<uint8_t>(text[i]))));
        }
        matcher->reset(mapped);
      }
      collect_isolated(matcher.get(), piece.begin, length, &next);
    }
    std::swap(pieces, next);
  }
  utext_close(&utext);

  std::vector<std::string_view> result;
  result.reserve(pieces.size());
  for (const Range& r : pieces) result.push_back(text.substr(r.begin, r.end - r.begin));
  return result;
}

}  // namespace impetus
