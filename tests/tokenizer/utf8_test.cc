// UTF-8 decoding against the well-formedness table of the Unicode standard
// and its "maximal subpart" replacement practice.
#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace impetus {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, DecodesValidSequences) {
  struct Case {
    std::string bytes;
    uint32_t cp;
  };
  for (const Case& c : std::vector<Case>{{"A", 0x41},
                                         {"\xC3\xA9", 0xE9},
                                         {"\xE2\x96\x81", 0x2581},
                                         {"\xED\x9F\xBF", 0xD7FF},
                                         {"\xEE\x80\x80", 0xE000},
                                         {"\xF0\x9F\xA6\x99", 0x1F999},
                                         {"\xF4\x8F\xBF\xBF", 0x10FFFF}}) {
    const Utf8Decoded d = utf8_decode(c.bytes, 0);
    EXPECT_EQ(d.status, Utf8Status::kValid) << c.cp;
    EXPECT_EQ(d.cp, c.cp);
    EXPECT_EQ(d.len, c.bytes.size());
    std::string encoded;
    utf8_append(c.cp, &encoded);
    EXPECT_EQ(encoded, c.bytes);
  }
}

TEST(Utf8, RejectsIllFormedSequences) {
  struct Case {
    std::string bytes;
    size_t len;  // maximal subpart
  };
  for (const Case& c : std::vector<Case>{{"\x80", 1},          // lone continuation
                                         {"\xC0\x80", 1},      // overlong
                                         {"\xE0\x80\x80", 1},  // overlong
                                         {"\xED\xA0\x80", 1},  // surrogate
                                         {"\xF4\x90\x80\x80", 1},  // above U+10FFFF
                                         {"\xF5", 1},
                                         {"\xE2\x41", 1},
                                         {"\xE2\x96\x41", 2},
                                         {"\xF0\x9F\xA6\x41", 3}}) {
    const Utf8Decoded d = utf8_decode(c.bytes, 0);
    EXPECT_EQ(d.status, Utf8Status::kInvalid) << ::testing::PrintToString(c.bytes);
    EXPECT_EQ(d.len, c.len) << ::testing::PrintToString(c.bytes);
  }
}

TEST(Utf8, IncompleteAtEnd) {
  const Utf8Decoded d = utf8_decode("\xF0\x9F\xA6", 0);
  EXPECT_EQ(d.status, Utf8Status::kIncomplete);
  EXPECT_EQ(d.len, 3u);
  std::string out;
  EXPECT_EQ(utf8_append_sanitized("ab\xE2\x96", &out), 2u);
  EXPECT_EQ(out, "ab");
}

TEST(Utf8, Sanitize) {
  EXPECT_EQ(utf8_sanitize("plain \xC3\xA9"), "plain \xC3\xA9");
  EXPECT_EQ(utf8_sanitize("a\xE2\x96" "b"), "a" + kFffd + "b");
  EXPECT_EQ(utf8_sanitize("\xFF\xFE"), kFffd + kFffd);
  EXPECT_EQ(utf8_sanitize("x\xF0\x9F"), "x" + kFffd);
  EXPECT_EQ(utf8_sanitize(""), "");
}

}  // namespace
}  // namespace impetus
