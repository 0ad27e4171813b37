#include "server/http/url.h"

#include <gtest/gtest.h>

namespace impetus::http {
namespace {

TEST(PercentDecode, DecodesEscapesAndOptionallyPlus) {
  std::string out;
  ASSERT_TRUE(percent_decode("a%20b%2Fc%41%7e", false, &out));
  EXPECT_EQ(out, "a b/cA~");
  ASSERT_TRUE(percent_decode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  ASSERT_TRUE(percent_decode("a+b%2B", true, &out));
  EXPECT_EQ(out, "a b+");
  ASSERT_TRUE(percent_decode("%e2%82%ac", false, &out));
  EXPECT_EQ(out, "\xe2\x82\xac");
  ASSERT_TRUE(percent_decode("", false, &out));
  EXPECT_EQ(out, "");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  std::string out;
  EXPECT_FALSE(percent_decode("%", false, &out));
  EXPECT_FALSE(percent_decode("abc%4", false, &out));
  EXPECT_FALSE(percent_decode("%zz", false, &out));
  EXPECT_FALSE(percent_decode("%g0", false, &out));
}

TEST(ParseTarget, SplitsPathAndQuery) {
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(parse_target("/v1/models/my%20model?x=1&y=a+b&z&w=%26&x=2", &path, &query));
  EXPECT_EQ(path, "/v1/models/my model");
  const std::map<std::string, std::string> expected = {{"x", "2"}, {"y", "a b"}, {"z", ""},
                                                       {"w", "&"}};
  EXPECT_EQ(query, expected);
}

TEST(ParseTarget, KeepsPlusInPathAndIgnoresFragment) {
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(parse_target("/a+b#frag?x=1", &path, &query));
  EXPECT_EQ(path, "/a+b");
  EXPECT_TRUE(query.empty());
}

TEST(ParseTarget, AcceptsAbsoluteFormAndAsterisk) {
  std::string path;
  std::map<std::string, std::string> query;
  ASSERT_TRUE(parse_target("http://example.com:8080/v1/x?q=1", &path, &query));
  EXPECT_EQ(path, "/v1/x");
  EXPECT_EQ(query.at("q"), "1");
  ASSERT_TRUE(parse_target("http://example.com", &path, &query));
  EXPECT_EQ(path, "/");
  ASSERT_TRUE(parse_target("*", &path, &query));
  EXPECT_EQ(path, "*");
}

TEST(ParseTarget, RejectsMalformedTargets) {
  std::string path;
  std::map<std::string, std::string> query;
  EXPECT_FALSE(parse_target("", &path, &query));
  EXPECT_FALSE(parse_target("v1/models", &path, &query));
  EXPECT_FALSE(parse_target("/a%zz", &path, &query));
  EXPECT_FALSE(parse_target("/a%00b", &path, &query));
  EXPECT_FALSE(parse_target("/a?x=%0", &path, &query));
  EXPECT_FALSE(parse_target("/a?x=%00", &path, &query));
  EXPECT_FALSE(parse_target("1ht tp://x/y", &path, &query));
}

}  // namespace
}  // namespace impetus::http
