// Each processor of the chain on hand-made candidates, against values worked
// out by hand or by an independent brute-force reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "sampling/candidates.h"
#include "sampling/logit_bias.h"
#include "sampling/min_p.h"
#include "sampling/penalties.h"
#include "sampling/penalty_window.h"
#include "sampling/temperature.h"
#include "sampling/top_k.h"
#include "sampling/top_p.h"

namespace impetus {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Candidates make(const std::vector<float>& logits) {
  Candidates c;
  fill_candidates(c, logits.data(), static_cast<int32_t>(logits.size()));
  return c;
}

std::vector<int32_t> ids(const Candidates& c) {
  std::vector<int32_t> out;
  for (const TokenCandidate& t : c.items) out.push_back(t.id);
  return out;
}

std::set<int32_t> id_set(const Candidates& c) {
  const std::vector<int32_t> v = ids(c);
  return {v.begin(), v.end()};
}

float logit_of(const Candidates& c, int32_t id) {
  for (const TokenCandidate& t : c.items) {
    if (t.id == id) return t.logit;
  }
  ADD_FAILURE() << "token " << id << " is not a candidate";
  return 0.0f;
}

// log of the given probabilities: logits whose softmax is exactly these.
std::vector<float> log_of(const std::vector<double>& probs) {
  std::vector<float> out;
  for (double p : probs) out.push_back(static_cast<float>(std::log(p)));
  return out;
}

TEST(CandidatesTest, FillKeepsIdOrderAndCleansNonFinite) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Candidates c = make({1.0f, nan, kInf, -kInf});
  EXPECT_TRUE(c.id_ordered);
  EXPECT_EQ(c.n_sorted, 0u);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(c.items[1].logit, -kInf);
  EXPECT_EQ(c.items[2].logit, std::numeric_limits<float>::max());
  EXPECT_EQ(c.items[3].logit, -kInf);
  EXPECT_EQ(best_index(c), 2u);
}

TEST(CandidatesTest, SortPrefixGrowsAndBreaksTiesByLowerId) {
  Candidates c = make({0.5f, 2.0f, 1.0f, 2.0f, -1.0f, 1.0f});
  sort_prefix(c, 2);
  EXPECT_EQ(c.n_sorted, 2u);
  EXPECT_EQ(c.items[0].id, 1);
  EXPECT_EQ(c.items[1].id, 3);
  sort_prefix(c, 100);  // clamps to the size
  EXPECT_EQ(c.n_sorted, 6u);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 3, 2, 5, 0, 4}));
  EXPECT_FALSE(c.id_ordered);
}

TEST(CandidatesTest, SoftmaxMatchesDirectFormula) {
  const std::vector<float> logits = {0.3f, -1.2f, 2.5f, -kInf};
  Candidates c = make(logits);
  std::vector<double> probs;
  softmax(c, probs);
  double z = 0.0;
  for (float l : logits) z += std::exp(static_cast<double>(l));
  for (size_t i = 0; i < logits.size(); ++i) {
    EXPECT_NEAR(probs[i], std::exp(static_cast<double>(logits[i])) / z, 1e-7) << i;
  }
  Candidates all_banned = make({-kInf, -kInf});
  softmax(all_banned, probs);
  EXPECT_EQ(probs, (std::vector<double>{0.0, 0.0}));
}

TEST(LogitBiasTest, AddsToNamedTokensOnly) {
  Candidates c = make({1.0f, 2.0f, 3.0f});
  const std::vector<std::pair<int32_t, float>> bias = {{0, 5.0f}, {2, -kInf}, {7, 1.0f}};
  apply_logit_bias(c, bias);
  EXPECT_EQ(c.items[0].logit, 6.0f);
  EXPECT_EQ(c.items[1].logit, 2.0f);
  EXPECT_EQ(c.items[2].logit, -kInf);
}

TEST(LogitBiasTest, WorksOnReorderedCandidates) {
  Candidates c = make({1.0f, 2.0f, 3.0f, 0.0f});
  apply_top_k(c, 3);  // reorders: 2, 1, 0
  ASSERT_FALSE(c.id_ordered);
  const std::vector<std::pair<int32_t, float>> bias = {{0, 10.0f}, {3, 1.0f}};
  apply_logit_bias(c, bias);
  EXPECT_EQ(logit_of(c, 0), 11.0f);
  EXPECT_EQ(logit_of(c, 1), 2.0f);
  EXPECT_EQ(logit_of(c, 2), 3.0f);
  EXPECT_EQ(c.n_sorted, 0u);  // the old ranking no longer holds
  EXPECT_EQ(c.items[best_index(c)].id, 0);
}

TEST(PenaltyWindowTest, KeepsTheLastNTokens) {
  PenaltyWindow w(3);
  for (int32_t t : {1, 2, 1, 3}) w.push(t);  // window: 2 1 3
  EXPECT_EQ(w.size(), 3u);
  EXPECT_EQ(w.counts(), (std::unordered_map<int32_t, int32_t>{{1, 1}, {2, 1}, {3, 1}}));
  w.push(3);  // window: 1 3 3
  EXPECT_EQ(w.counts(), (std::unordered_map<int32_t, int32_t>{{1, 1}, {3, 2}}));
  w.push(3);  // window: 3 3 3
  w.push(4);  // window: 3 3 4
  EXPECT_EQ(w.counts(), (std::unordered_map<int32_t, int32_t>{{3, 2}, {4, 1}}));
  w.clear();
  EXPECT_EQ(w.size(), 0u);
  EXPECT_TRUE(w.counts().empty());
  w.push(9);
  EXPECT_EQ(w.counts(), (std::unordered_map<int32_t, int32_t>{{9, 1}}));
}

TEST(PenaltyWindowTest, MinusOneKeepsEverythingAndZeroNothing) {
  PenaltyWindow all(-1);
  PenaltyWindow none(0);
  for (int i = 0; i < 1000; ++i) {
    all.push(i % 7);
    none.push(i % 7);
  }
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_EQ(all.counts().at(0), 143);  // 0, 7, ..., 994
  EXPECT_EQ(all.counts().at(6), 142);
  EXPECT_EQ(none.size(), 0u);
  EXPECT_TRUE(none.counts().empty());
}

TEST(PenaltiesTest, MatchesHandComputedValues) {
  // History 0 0 1 4; repetition 2, presence 0.5, frequency 0.25.
  //   token 0 (n=2):  2.0 / 2 = 1.0,   - 0.5 - 2*0.25 = 0.0
  //   token 1 (n=1): -1.0 * 2 = -2.0,  - 0.5 - 0.25  = -2.75
  //   token 4 (n=1):  0.0 * 2 = 0.0,   - 0.5 - 0.25  = -0.75
  //   tokens 2, 3 unseen: unchanged
  PenaltyWindow w(-1);
  for (int32_t t : {0, 0, 1, 4}) w.push(t);
  Candidates c = make({2.0f, -1.0f, 0.5f, 3.0f, 0.0f});
  apply_penalties(c, w.counts(), {2.0f, 0.5f, 0.25f});
  EXPECT_EQ(c.items[0].logit, 0.0f);
  EXPECT_EQ(c.items[1].logit, -2.75f);
  EXPECT_EQ(c.items[2].logit, 0.5f);
  EXPECT_EQ(c.items[3].logit, 3.0f);
  EXPECT_EQ(c.items[4].logit, -0.75f);
}

TEST(PenaltiesTest, RepetitionAloneAndNegativeStrengths) {
  // Repetition 1.25: 5.0 -> 4.0, -4.0 -> -5.0, applied once however often seen.
  Candidates c = make({5.0f, -4.0f, 1.0f});
  const std::unordered_map<int32_t, int32_t> counts = {{0, 3}, {1, 1}};
  apply_penalties(c, counts, {1.25f, 0.0f, 0.0f});
  EXPECT_EQ(c.items[0].logit, 4.0f);
  EXPECT_EQ(c.items[1].logit, -5.0f);
  EXPECT_EQ(c.items[2].logit, 1.0f);
  // Negative presence/frequency encourage repeats: 1.0 + 1 + 3*0.5 = 3.5.
  Candidates d = make({1.0f, 1.0f});
  apply_penalties(d, {{0, 3}}, {1.0f, -1.0f, -0.5f});
  EXPECT_EQ(d.items[0].logit, 3.5f);
  EXPECT_EQ(d.items[1].logit, 1.0f);
}

TEST(PenaltiesTest, WorksOnReorderedCandidates) {
  Candidates c = make({2.0f, -1.0f, 0.5f, 3.0f, 0.0f});
  apply_top_k(c, 4);  // drops token 1, reorders
  apply_penalties(c, {{0, 2}, {1, 1}, {4, 1}}, {2.0f, 0.5f, 0.25f});
  EXPECT_EQ(logit_of(c, 0), 0.0f);
  EXPECT_EQ(logit_of(c, 4), -0.75f);
  EXPECT_EQ(logit_of(c, 3), 3.0f);
  EXPECT_EQ(c.size(), 4u);
}

TEST(TopKTest, KeepsTheKBestBestFirstWithTiesToLowerId) {
  Candidates c = make({1.0f, 3.0f, 2.0f, 3.0f, 0.0f, 2.0f});
  apply_top_k(c, 3);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(c.n_sorted, 3u);
}

TEST(TopKTest, ZeroOrLargeKIsANoOp) {
  Candidates c = make({1.0f, 3.0f, 2.0f});
  apply_top_k(c, 0);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1, 2}));
  apply_top_k(c, 3);
  apply_top_k(c, 100);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_TRUE(c.id_ordered);
}

TEST(TopPTest, KeepsSmallestPrefixReachingP) {
  // Probabilities by id: 0.15, 0.5, 0.1, 0.25. Best first: 1 (0.5), 3 (0.75), 0 (0.9), 2 (1.0).
  const std::vector<float> logits = log_of({0.15, 0.5, 0.1, 0.25});
  struct Case {
    float p;
    std::vector<int32_t> kept;
  };
  for (const Case& k : {Case{0.01f, {1}}, Case{0.4f, {1}}, Case{0.6f, {1, 3}},
                        Case{0.8f, {1, 3, 0}}, Case{0.95f, {1, 3, 0, 2}}}) {
    Candidates c = make(logits);
    apply_top_p(c, k.p);
    EXPECT_EQ(ids(c), k.kept) << "p=" << k.p;
  }
  Candidates c = make(logits);
  apply_top_p(c, 1.0f);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1, 2, 3}));  // off: untouched
}

// Brute force: the smallest best-first prefix whose probability reaches p.
std::vector<int32_t> reference_top_p(const std::vector<float>& logits, double p) {
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  const double max = logits[order[0]];
  double z = 0.0;
  for (float l : logits) z += std::exp(l - max);
  double cum = 0.0;
  for (size_t i = 0; i < order.size(); ++i) {
    cum += std::exp(logits[order[i]] - max) / z;
    if (cum >= p) return {order.begin(), order.begin() + static_cast<std::ptrdiff_t>(i) + 1};
  }
  return order;
}

TEST(TopPTest, LargeFlatVocabularyMatchesBruteForce) {
  // A flat distribution makes the nucleus thousands of tokens wide, so the
  // incremental sort must grow its prefix many times.
  std::mt19937_64 rng(7);
  std::vector<float> logits(20000);
  for (float& l : logits)
    l = static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53 * 4.0);
  for (double p : {0.3, 0.9, 0.999}) {
    const std::vector<int32_t> expected = reference_top_p(logits, p);
    Candidates c = make(logits);
    apply_top_p(c, static_cast<float>(p));
    // float(p) differs from p a little; either count is right if the boundary is that close.
    EXPECT_NEAR(static_cast<double>(c.size()), static_cast<double>(expected.size()), 1.0) << p;
    const size_t n = std::min(c.size(), expected.size());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(c.items[i].id, expected[i]) << "p=" << p << " i=" << i;
    EXPECT_GT(c.size(), 1000u);
  }
}

TEST(TopPTest, AfterTopKUsesOnlyTheRemainingCandidates) {
  // After top-k=2 the two left have probabilities 0.5/0.75 and 0.25/0.75.
  Candidates c = make(log_of({0.15, 0.5, 0.1, 0.25}));
  apply_top_k(c, 2);
  apply_top_p(c, 0.6f);  // 2/3 >= 0.6: only token 1
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1}));
  Candidates d = make(log_of({0.15, 0.5, 0.1, 0.25}));
  apply_top_k(d, 2);
  apply_top_p(d, 0.7f);  // 2/3 < 0.7: both stay
  EXPECT_EQ(ids(d), (std::vector<int32_t>{1, 3}));
}

TEST(MinPTest, DropsTokensBelowFractionOfTheBest) {
  // Probabilities by id: 0.15, 0.5, 0.1, 0.25; thresholds are min_p * 0.5.
  const std::vector<float> logits = log_of({0.15, 0.5, 0.1, 0.25});
  struct Case {
    float min_p;
    std::set<int32_t> kept;
  };
  for (const Case& k : {Case{0.0f, {0, 1, 2, 3}}, Case{0.1f, {0, 1, 2, 3}}, Case{0.25f, {0, 1, 3}},
                        Case{0.4f, {1, 3}}, Case{0.6f, {1}}, Case{1.0f, {1}}}) {
    Candidates c = make(logits);
    apply_min_p(c, k.min_p);
    EXPECT_EQ(id_set(c), k.kept) << "min_p=" << k.min_p;
  }
}

TEST(MinPTest, KeepsOrderAndSortedPrefix) {
  Candidates c = make(log_of({0.15, 0.5, 0.1, 0.25}));
  apply_min_p(c, 0.25f);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1, 3}));  // relative order kept
  Candidates d = make(log_of({0.15, 0.5, 0.1, 0.25}));
  sort_prefix(d, 4);  // 1 3 0 2
  apply_min_p(d, 0.4f);
  EXPECT_EQ(ids(d), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(d.n_sorted, 2u);
}

TEST(TemperatureTest, SoftmaxBecomesSoftmaxOfScaledLogits) {
  const std::vector<float> logits = {1.0f, 2.0f, 0.5f, -1.0f, 3.0f};
  for (float t : {0.25f, 0.7f, 1.0f, 1.5f, 4.0f}) {
    Candidates c = make(logits);
    apply_temperature(c, t);
    std::vector<double> probs;
    softmax(c, probs);
    double z = 0.0;
    for (float l : logits) z += std::exp(static_cast<double>(l) / t);
    for (size_t i = 0; i < logits.size(); ++i) {
      EXPECT_NEAR(probs[i], std::exp(static_cast<double>(logits[i]) / t) / z, 1e-6)
          << "T=" << t << " i=" << i;
    }
  }
}

TEST(TemperatureTest, TinyTemperatureDoesNotOverflow) {
  Candidates c = make({100.0f, 99.0f, -kInf});
  apply_temperature(c, 1e-30f);
  std::vector<double> probs;
  softmax(c, probs);
  EXPECT_EQ(probs, (std::vector<double>{1.0, 0.0, 0.0}));
}

}  // namespace
}  // namespace impetus
