#include "server/http/router.h"

#include <gtest/gtest.h>

namespace impetus::http {
namespace {

// A handler that records which route ran, so a match can be identified.
Handler tagged(std::string* last, std::string tag) {
  return [last, tag](const HttpRequest&, std::shared_ptr<Responder>) { *last = tag; };
}

std::string run(const Router::Match& match, std::string* last) {
  last->clear();
  if (match.handler == nullptr) return "<none>";
  (*match.handler)(HttpRequest{}, nullptr);
  return *last;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/v1/models", tagged(&last_, "list"));
    router_.add("GET", "/v1/models/{id}", tagged(&last_, "get"));
    router_.add("DELETE", "/v1/models/{id}", tagged(&last_, "delete"));
    router_.add("GET", "/v1/models/{id*}", tagged(&last_, "get-rest"));
    router_.add("GET", "/v1/models/special", tagged(&last_, "special"));
    router_.add("POST", "/v1/chat/completions", tagged(&last_, "chat"));
    router_.add("GET", "/", tagged(&last_, "root"));
    router_.add("GET", "/files/{dir}/{name*}", tagged(&last_, "files"));
  }
  Router router_;
  std::string last_;
};

TEST_F(RouterTest, MatchesLiteralRoutes) {
  EXPECT_EQ(run(router_.match("GET", "/v1/models"), &last_), "list");
  EXPECT_EQ(run(router_.match("POST", "/v1/chat/completions"), &last_), "chat");
  EXPECT_EQ(run(router_.match("GET", "/"), &last_), "root");
}

TEST_F(RouterTest, IgnoresEmptySegments) {
  EXPECT_EQ(run(router_.match("GET", "/v1/models/"), &last_), "list");
  EXPECT_EQ(run(router_.match("POST", "//v1//chat/completions"), &last_), "chat");
  EXPECT_EQ(run(router_.match("GET", ""), &last_), "root");
}

TEST_F(RouterTest, ExtractsParams) {
  const Router::Match m = router_.match("GET", "/v1/models/tiny-llama");
  EXPECT_EQ(run(m, &last_), "get");
  EXPECT_EQ(m.params.at("id"), "tiny-llama");
  EXPECT_TRUE(m.path_known);
  const Router::Match d = router_.match("DELETE", "/v1/models/x");
  EXPECT_EQ(run(d, &last_), "delete");
  EXPECT_EQ(d.params.at("id"), "x");
}

TEST_F(RouterTest, RestSegmentTakesTheRemainder) {
  const Router::Match m = router_.match("GET", "/v1/models/org/name/q4");
  EXPECT_EQ(run(m, &last_), "get-rest");
  EXPECT_EQ(m.params.at("id"), "org/name/q4");
  const Router::Match f = router_.match("GET", "/files/a/b/c.txt");
  EXPECT_EQ(run(f, &last_), "files");
  EXPECT_EQ(f.params.at("dir"), "a");
  EXPECT_EQ(f.params.at("name"), "b/c.txt");
  // The rest needs at least one segment.
  EXPECT_EQ(router_.match("GET", "/files/a").handler, nullptr);
}

TEST_F(RouterTest, MoreSpecificRouteWins) {
  // Added after the "{id}" route, yet the literal one wins.
  EXPECT_EQ(run(router_.match("GET", "/v1/models/special"), &last_), "special");
  // "{id}" beats "{id*}" for a single segment.
  EXPECT_EQ(run(router_.match("GET", "/v1/models/other"), &last_), "get");
}

TEST_F(RouterTest, UnknownPathAndWrongMethod) {
  const Router::Match none = router_.match("GET", "/v2/models");
  EXPECT_EQ(none.handler, nullptr);
  EXPECT_FALSE(none.path_known);
  const Router::Match wrong = router_.match("GET", "/v1/chat/completions");
  EXPECT_EQ(wrong.handler, nullptr);
  EXPECT_TRUE(wrong.path_known);
  const Router::Match wrong2 = router_.match("PUT", "/v1/models/x");
  EXPECT_EQ(wrong2.handler, nullptr);
  EXPECT_TRUE(wrong2.path_known);
  // Methods are case-sensitive.
  EXPECT_EQ(router_.match("get", "/v1/models").handler, nullptr);
  EXPECT_TRUE(router_.match("get", "/v1/models").path_known);
}

TEST(RouterDeathTest, RejectsMalformedPatterns) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto noop = [](const HttpRequest&, std::shared_ptr<Responder>) {};
  Router router;
  EXPECT_DEATH(router.add("GET", "/a/{rest*}/b", noop), "must come last");
  EXPECT_DEATH(router.add("GET", "/a/{}", noop), "empty parameter");
  EXPECT_DEATH(router.add("GET", "/a/x{y}", noop), "malformed route segment");
}

}  // namespace
}  // namespace impetus::http
