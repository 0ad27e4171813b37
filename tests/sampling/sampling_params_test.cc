#include "sampling/sampling_params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace impetus {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Expects an INVALID_ARGUMENT whose message mentions `needle`.
void expect_rejected(const Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(SamplingParamsTest, DefaultsAreOpenAiLikeAndValid) {
  SamplingParams p;
  EXPECT_EQ(p.temperature, 1.0f);
  EXPECT_EQ(p.top_k, 0);
  EXPECT_EQ(p.top_p, 1.0f);
  EXPECT_EQ(p.min_p, 0.0f);
  EXPECT_EQ(p.repetition_penalty, 1.0f);
  EXPECT_EQ(p.presence_penalty, 0.0f);
  EXPECT_EQ(p.frequency_penalty, 0.0f);
  EXPECT_EQ(p.penalty_last_n, 64);
  EXPECT_TRUE(p.logit_bias.empty());
  EXPECT_FALSE(p.seed.has_value());
  EXPECT_FALSE(p.greedy());
  EXPECT_FALSE(p.has_penalties());
  EXPECT_TRUE(p.validate().ok());
  EXPECT_TRUE(p.validate(32000).ok());
}

TEST(SamplingParamsTest, BoundaryValuesAreAccepted) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.top_p = 1e-6f;
  p.min_p = 1.0f;
  p.top_k = 1;
  p.repetition_penalty = 1e-3f;
  p.presence_penalty = -2.0f;
  p.frequency_penalty = 2.0f;
  p.penalty_last_n = -1;
  p.logit_bias = {{0, -100.0f}, {1, 100.0f}, {2, -kInf}};
  EXPECT_TRUE(p.validate(4).ok()) << p.validate(4).to_string();
  EXPECT_TRUE(p.greedy());
  EXPECT_TRUE(p.has_penalties());
}

TEST(SamplingParamsTest, RejectsBadTemperature) {
  SamplingParams p;
  p.temperature = -0.1f;
  expect_rejected(p.validate(), "temperature");
  p.temperature = kNaN;
  expect_rejected(p.validate(), "temperature");
  p.temperature = kInf;
  expect_rejected(p.validate(), "temperature");
}

TEST(SamplingParamsTest, RejectsBadTruncation) {
  SamplingParams p;
  p.top_k = -1;
  expect_rejected(p.validate(), "top_k");
  p = {};
  p.top_p = 0.0f;
  expect_rejected(p.validate(), "top_p");
  p.top_p = 1.01f;
  expect_rejected(p.validate(), "top_p");
  p.top_p = kNaN;
  expect_rejected(p.validate(), "top_p");
  p = {};
  p.min_p = -0.01f;
  expect_rejected(p.validate(), "min_p");
  p.min_p = 1.5f;
  expect_rejected(p.validate(), "min_p");
}

TEST(SamplingParamsTest, RejectsBadPenalties) {
  SamplingParams p;
  p.repetition_penalty = 0.0f;
  expect_rejected(p.validate(), "repetition_penalty");
  p.repetition_penalty = -1.0f;
  expect_rejected(p.validate(), "repetition_penalty");
  p = {};
  p.presence_penalty = 2.5f;
  expect_rejected(p.validate(), "presence_penalty");
  p = {};
  p.frequency_penalty = -2.01f;
  expect_rejected(p.validate(), "frequency_penalty");
  p.frequency_penalty = kNaN;
  expect_rejected(p.validate(), "frequency_penalty");
  p = {};
  p.penalty_last_n = -2;
  expect_rejected(p.validate(), "penalty_last_n");
}

TEST(SamplingParamsTest, RejectsBadLogitBiasValues) {
  SamplingParams p;
  p.logit_bias = {{5, 100.5f}};
  expect_rejected(p.validate(), "logit_bias");
  p.logit_bias = {{5, kInf}};
  expect_rejected(p.validate(), "logit_bias");
  p.logit_bias = {{5, kNaN}};
  expect_rejected(p.validate(), "logit_bias");
  p.logit_bias = {{5, 1.0f}, {5, 2.0f}};
  expect_rejected(p.validate(), "more than once");
}

TEST(SamplingParamsTest, ValidatesLogitBiasIdsAgainstVocabulary) {
  SamplingParams p;
  p.logit_bias = {{9, 1.0f}};
  EXPECT_TRUE(p.validate().ok());  // no vocabulary known: ids are not checked
  EXPECT_TRUE(p.validate(10).ok());
  expect_rejected(p.validate(9), "outside the vocabulary");
  p.logit_bias = {{-1, 1.0f}};
  expect_rejected(p.validate(10), "outside the vocabulary");
  expect_rejected(SamplingParams{}.validate(0), "vocabulary size");
}

TEST(SamplingParamsTest, RejectsBanningTheWholeVocabulary) {
  SamplingParams p;
  p.logit_bias = {{0, -kInf}, {1, -kInf}, {2, -kInf}};
  expect_rejected(p.validate(3), "bans every token");
  EXPECT_TRUE(p.validate(4).ok());
}

}  // namespace
}  // namespace impetus
