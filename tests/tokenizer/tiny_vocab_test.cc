// Hand-made vocabularies (written with GgufWriter) for the rules that the
// real vocabularies do not isolate: SPM merge order and byte fallback,
// user-defined tokens, strip attributes, and metadata errors.
#include <gtest/gtest.h>

#include "tokenizer/test_vocabs.h"

namespace impetus {
namespace {

using Ids = std::vector<int32_t>;
using testing::TinyToken;
using testing::tiny_tokenizer;

const std::string kSp = "\xE2\x96\x81";  // '▁'

std::vector<TinyToken> spm_tokens() {
  return {
      {"<unk>", 0, TokenType::kUnknown},  // 0
      {"<s>", 0, TokenType::kControl},    // 1
      {"</s>", 0, TokenType::kControl},   // 2
      {"<0xC3>", 0, TokenType::kByte},    // 3
      {"<0xA9>", 0, TokenType::kByte},    // 4
      {kSp, -1},                          // 5
      {"a", -1},                          // 6
      {"b", -1},                          // 7
      {"aa", -2},                         // 8
      {kSp + "a", -3},                    // 9
      {"ab", -1.5f},                      // 10
      {"<tag>", 0, TokenType::kUserDefined},  // 11
  };
}

TEST(TinySpm, HighestScoreMergesFirstLeftmostOnTies) {
  auto tok = tiny_tokenizer("llama", spm_tokens());
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  // "▁aaa": "aa" (-2) beats "▁a" (-3); of the two equal "aa" pairs the
  // leftmost merges, leaving ▁ | aa | a.
  EXPECT_EQ((*tok)->encode("aaa", false, false), (Ids{5, 8, 6}));
  // "▁aab": "ab" (-1.5) merges before "aa" (-2): ▁ a ab -> then ▁a (-3).
  EXPECT_EQ((*tok)->encode("aab", false, false), (Ids{9, 10}));
}

TEST(TinySpm, ByteFallbackAndUnknownBytes) {
  auto tok = tiny_tokenizer("llama", spm_tokens());
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  // 'é' = C3 A9 has byte tokens; 'z' has neither a piece nor a byte token: <unk>.
  EXPECT_EQ((*tok)->encode("\xC3\xA9z", false, false), (Ids{5, 3, 4, 0}));
}

TEST(TinySpm, UserDefinedTokensSplitWithoutParseSpecial) {
  auto tok = tiny_tokenizer("llama", spm_tokens());
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  // The text after a special token gets the space prefix again (as in llama.cpp).
  EXPECT_EQ((*tok)->encode("a<tag>b", false, false), (Ids{9, 11, 5, 7}));
  EXPECT_EQ((*tok)->encode("<s>a", false, false), (*tok)->encode("<s>a", false, false));
  EXPECT_EQ((*tok)->encode("<s>a", false, true), (Ids{1, 9}));
  EXPECT_EQ((*tok)->decode({9, 11, 5, 7}), "a<tag> b");
}

TEST(TinySpm, SpacePrefixCanBeTurnedOff) {
  auto tok = tiny_tokenizer("llama", spm_tokens(),
                            {{"tokenizer.ggml.add_space_prefix", GgufValue::make_bool(false)},
                             {"tokenizer.ggml.add_eos_token", GgufValue::make_bool(true)}});
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->encode("a a", true, false), (Ids{1, 6, 9, 2}));
  EXPECT_FALSE((*tok)->decode_strips_leading_space());
  EXPECT_EQ((*tok)->decode({9}), " a");
}

TEST(TinySpm, Phi3NameTurnsOnRightStrip) {
  std::vector<TinyToken> tokens = spm_tokens();
  tokens.push_back({"<|user|>", 0, TokenType::kControl});  // 12
  auto plain = tiny_tokenizer("llama", tokens);
  auto phi = tiny_tokenizer("llama", tokens, {{"general.name", GgufValue::make_string("Phi3")}});
  ASSERT_TRUE(plain.ok() && phi.ok());
  // Phi-3: the spaces after <|user|> are swallowed; <s> keeps them.
  EXPECT_EQ((*phi)->encode("<|user|>  a", false, true), (Ids{12, 9}));
  EXPECT_EQ((*plain)->encode("<|user|>  a", false, true), (Ids{12, 5, 5, 9}));
  EXPECT_EQ((*phi)->encode("<s> a", false, true), (Ids{1, 5, 9}));
}

TEST(TinyVocab, EogFoundByText) {
  std::vector<TinyToken> tokens = spm_tokens();
  tokens.push_back({"<|im_end|>", 0, TokenType::kNormal});  // 12: forced to CONTROL
  tokens.push_back({"<|eom_id|>", 0, TokenType::kControl});  // 13
  auto tok = tiny_tokenizer("llama", tokens);
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->eot_id(), 12);
  EXPECT_TRUE((*tok)->is_eog(12));
  EXPECT_TRUE((*tok)->is_eog(13));
  EXPECT_TRUE((*tok)->is_eog(2));
  EXPECT_FALSE((*tok)->is_eog(1));
  EXPECT_TRUE((*tok)->is_control(12));
  EXPECT_EQ((*tok)->token_to_piece(12), "");
}

TEST(TinyVocab, MetadataErrors) {
  auto unknown_model = tiny_tokenizer("t5", spm_tokens());
  EXPECT_EQ(unknown_model.status().code(), StatusCode::kUnimplemented);
  auto no_merges = tiny_tokenizer("gpt2", spm_tokens());
  EXPECT_EQ(no_merges.status().code(), StatusCode::kInvalidArgument);
  auto bad_scores = tiny_tokenizer(
      "llama", spm_tokens(), {{"tokenizer.ggml.scores", GgufValue::make_f32_array({1.0f})}});
  EXPECT_EQ(bad_scores.status().code(), StatusCode::kDataLoss);
  auto bad_types = tiny_tokenizer(
      "llama", spm_tokens(), {{"tokenizer.ggml.token_type", GgufValue::make_i32_array({1, 1})}});
  EXPECT_EQ(bad_types.status().code(), StatusCode::kDataLoss);
  auto empty = tiny_tokenizer("llama", {});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
  auto wrong_type = tiny_tokenizer(
      "llama", spm_tokens(), {{"tokenizer.ggml.bos_token_id", GgufValue::make_string("1")}});
  EXPECT_EQ(wrong_type.status().code(), StatusCode::kInvalidArgument);

  GgufWriter w;
  w.set("general.architecture", GgufValue::make_string("llama"));
  auto bytes = w.to_bytes();
  ASSERT_TRUE(bytes.ok());
  auto gguf = GgufFile::parse(*bytes);
  ASSERT_TRUE(gguf.ok());
  EXPECT_EQ(Tokenizer::from_gguf(**gguf).status().code(), StatusCode::kInvalidArgument);
}

TEST(TinyVocab, OutOfRangeSpecialIdKeepsDefault) {
  auto tok = tiny_tokenizer("llama", spm_tokens(),
                            {{"tokenizer.ggml.bos_token_id", GgufValue::make_u32(0xFFFFFFFFu)},
                             {"tokenizer.ggml.eos_token_id", GgufValue::make_u32(7)}});
  ASSERT_TRUE(tok.ok()) << tok.status().to_string();
  EXPECT_EQ((*tok)->bos_id(), 1);
  EXPECT_EQ((*tok)->eos_id(), 7);
}

}  // namespace
}  // namespace impetus
