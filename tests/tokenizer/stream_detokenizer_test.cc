// StreamDetokenizer: characters split over byte tokens are held back until
// complete, broken bytes become U+FFFD, and the streamed text equals decode().
#include "tokenizer/stream_detokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/test_vocabs.h"
#include "tokenizer/utf8.h"

namespace impetus {
namespace {

using testing::stories_tokenizer;
using testing::vocab_test_strings;
using testing::vocab_tokenizer;

const std::string kFffd = "\xEF\xBF\xBD";

int32_t byte_id(const Tokenizer& tok, uint8_t b) {
  char name[8];
  std::snprintf(name, sizeof(name), "<0x%02X>", b);
  auto id = tok.find_token(name);
  EXPECT_TRUE(id.has_value()) << name;
  return id.value_or(-1);
}

TEST(StreamDetokenizer, HoldsBackSplitCharacter) {
  const Tokenizer* tok = vocab_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  StreamDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(byte_id(*tok, 0xE2)), "");
  EXPECT_EQ(stream.n_pending(), 1u);
  EXPECT_EQ(stream.push(byte_id(*tok, 0x96)), "");
  EXPECT_EQ(stream.push(byte_id(*tok, 0x81)), "\xE2\x96\x81");
  EXPECT_EQ(stream.n_pending(), 0u);
  EXPECT_EQ(stream.flush(), "");
}

TEST(StreamDetokenizer, FourByteCharacterThenText) {
  const Tokenizer* tok = stories_tokenizer();
  ASSERT_NE(tok, nullptr);
  StreamDetokenizer stream(*tok);
  const std::string emoji = "\xF0\x9F\xA6\x99";  // U+1F999
  std::string out;
  for (size_t i = 0; i < emoji.size(); ++i) {
    const std::string got = stream.push(byte_id(*tok, static_cast<uint8_t>(emoji[i])));
    if (i + 1 < emoji.size()) {
      EXPECT_EQ(got, "") << i;
    }
    out += got;
  }
  EXPECT_EQ(out, emoji);
  EXPECT_EQ(stream.push(403), " Once");
}

TEST(StreamDetokenizer, BrokenBytesBecomeReplacementCharacters) {
  const Tokenizer* tok = stories_tokenizer();
  ASSERT_NE(tok, nullptr);
  StreamDetokenizer stream(*tok);
  EXPECT_EQ(stream.push(byte_id(*tok, 0xE2)), "");
  // 'A' cannot continue E2: the held byte is replaced, 'A' goes out.
  EXPECT_EQ(stream.push(byte_id(*tok, 'A')), kFffd + "A");
  EXPECT_EQ(stream.push(byte_id(*tok, 0xFF)), kFffd);  // never valid
  EXPECT_EQ(stream.push(byte_id(*tok, 0xF0)), "");
  EXPECT_EQ(stream.push(byte_id(*tok, 0x9F)), "");
  EXPECT_EQ(stream.flush(), kFffd);  // one U+FFFD for the maximal subpart F0 9F
  EXPECT_EQ(stream.n_pending(), 0u);
  EXPECT_EQ(stream.flush(), "");
}

TEST(StreamDetokenizer, SpecialTokens) {
  const Tokenizer* tok = vocab_tokenizer("phi-3");
  ASSERT_NE(tok, nullptr);
  StreamDetokenizer plain(*tok);
  EXPECT_EQ(plain.push(32007), "");
  StreamDetokenizer shown(*tok, {.render_special = true});
  EXPECT_EQ(shown.push(32007), "<|end|>");
}

TEST(StreamDetokenizer, LeadingSpaceRule) {
  const Tokenizer* tok = vocab_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  const std::vector<int32_t> ids = tok->encode("Hello world", true, false);
  std::string continued;
  std::string from_start;
  StreamDetokenizer a(*tok);
  StreamDetokenizer b(*tok, {.strip_leading_space = true});
  for (int32_t id : ids) {
    continued += a.push(id);
    from_start += b.push(id);
  }
  EXPECT_EQ(continued, " Hello world");
  EXPECT_EQ(from_start, "Hello world");
}

// Streaming every test string token by token gives decode()'s text, and
// never returns a partial UTF-8 character.
TEST(StreamDetokenizer, MatchesDecodeOnEveryTestString) {
  for (const char* name : {"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "bert-bge"}) {
    const Tokenizer* tok = vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr) << name;
    for (const std::string& s : vocab_test_strings()) {
      const std::vector<int32_t> ids = tok->encode(s, true, false);
      StreamDetokenizer stream(*tok, {.strip_leading_space = true});
      std::string streamed;
      for (int32_t id : ids) {
        const std::string part = stream.push(id);
        EXPECT_EQ(utf8_sanitize(part), part) << name << ": partial character for " << s;
        streamed += part;
      }
      streamed += stream.flush();
      EXPECT_EQ(streamed, utf8_sanitize(tok->decode(ids))) << name << ": " << s;
    }
  }
}

}  // namespace
}  // namespace impetus
