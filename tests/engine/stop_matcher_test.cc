#include "engine/stop_matcher.h"

#include <gtest/gtest.h>

namespace impetus {
namespace {

TEST(StopMatcher, HoldsBackPartialMatchesAcrossPieces) {
  StopMatcher m({"</end>"});
  EXPECT_EQ(m.push("Hello </"), "Hello ");
  EXPECT_EQ(m.push("en"), "");
  EXPECT_EQ(m.push("d> tail"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "</end>");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, ReleasesFalseStarts) {
  StopMatcher m({"abc"});
  EXPECT_EQ(m.push("xab"), "x");
  EXPECT_EQ(m.push("d"), "abd");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.push("ab"), "");
  EXPECT_EQ(m.flush(), "ab");
}

TEST(StopMatcher, EarliestOfSeveralWins) {
  StopMatcher m({"world", "lo w"});
  EXPECT_EQ(m.push("hello world"), "hel");
  EXPECT_EQ(m.matched(), "lo w");
}

TEST(StopMatcher, NoStopsPassesEverything) {
  StopMatcher m({"", ""});
  EXPECT_EQ(m.push("abc"), "abc");
  EXPECT_FALSE(m.stopped());
}

}  // namespace
}  // namespace impetus
