// Tests of byte-level BPE: the byte alphabet, the pre-tokenizers, and the
// llama.cpp vocabulary vectors (ids made by Hugging Face `tokenizers`).
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "model/formats/gguf_reader.h"
#include "testing/paths.h"
#include "tokenizer/byte_unicode.h"
#include "tokenizer/pretokenizer.h"

namespace impetus {
namespace {

// ---------------------------------------------------------------- byte alphabet

TEST(ByteUnicode, KnownCharacters) {
  EXPECT_EQ(gpt2_byte_to_codepoint(' '), 0x120u);   // 'Ġ'
  EXPECT_EQ(gpt2_byte_to_codepoint('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(gpt2_byte_to_codepoint('\t'), 0x109u);  // 'ĉ'
  EXPECT_EQ(gpt2_byte_to_codepoint(0), 0x100u);
  EXPECT_EQ(gpt2_byte_to_codepoint('A'), static_cast<uint32_t>('A'));
  EXPECT_EQ(gpt2_byte_to_codepoint(0xAD), 0x143u);  // soft hyphen: the last shifted byte
  EXPECT_EQ(gpt2_byte_to_codepoint(0xFF), 0xFFu);
  EXPECT_EQ(gpt2_codepoint_to_byte(0x144), -1);
  EXPECT_EQ(gpt2_codepoint_to_byte('a'), 'a');
  EXPECT_EQ(gpt2_byte_to_utf8(' '), "\xC4\xA0");
}

TEST(ByteUnicode, AllBytesRoundTripThroughPieceToBytes) {
  std::vector<bool> seen(0x144, false);
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = gpt2_byte_to_codepoint(static_cast<uint8_t>(b));
    ASSERT_LT(cp, 0x144u);
    EXPECT_FALSE(seen[cp]) << "two bytes map to U+" << std::hex << cp;
    seen[cp] = true;
    EXPECT_EQ(gpt2_codepoint_to_byte(cp), b);
    const std::string piece(gpt2_byte_to_utf8(static_cast<uint8_t>(b)));
    EXPECT_EQ(BpeModel::piece_to_bytes(piece), std::string(1, static_cast<char>(b)));
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string mapped;
  gpt2_bytes_to_unicode(all, &mapped);
  EXPECT_EQ(BpeModel::piece_to_bytes(mapped), all);
}

TEST(ByteUnicode, PieceToBytesPassesOtherCharactersThrough) {
  EXPECT_EQ(BpeModel::piece_to_bytes("Ġworld"), " world");
  EXPECT_EQ(BpeModel::piece_to_bytes("ĠĊ"), " \n");
  // U+4E16 and U+0144 (Ń) are outside the alphabet: copied as UTF-8.
  EXPECT_EQ(BpeModel::piece_to_bytes("\xE4\xB8\x96z\xC5\x84"), "\xE4\xB8\x96z\xC5\x84");
  // Ill-formed UTF-8 is copied byte by byte.
  EXPECT_EQ(BpeModel::piece_to_bytes("\xFFz\xC4"), "\xFFz\xC4");
  EXPECT_EQ(BpeModel::piece_to_bytes("<|endoftext|>"), "<|endoftext|>");
}

// ---------------------------------------------------------------- pre-tokenizers

std::vector<std::string> split(const std::string& pre, const std::string& text) {
  auto p = PreTokenizer::create(pre);
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  std::vector<std::string> pieces;
  std::string joined;
  for (std::string_view piece : (*p)->split(text)) {
    EXPECT_FALSE(piece.empty());
    pieces.emplace_back(piece);
    joined += piece;
  }
  EXPECT_EQ(joined, text) << "pieces must cover the text";
  return pieces;
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split("gpt-2", "Hello world's 123"), (Pieces{"Hello", " world", "'s", " 123"}));
  EXPECT_EQ(split("gpt-2", "a  b\t\tc  "), (Pieces{"a", " ", " b", "\t", "\t", "c", "  "}));
  EXPECT_EQ(split("gpt-2", "x!!! ?"), (Pieces{"x", "!!!", " ?"}));
  EXPECT_EQ(split("gpt-2", "I'M"), (Pieces{"I", "'", "M"}));  // case-sensitive contractions
  EXPECT_EQ(split("", "Hi you"), (Pieces{"Hi", " you"}));
  EXPECT_EQ(split("default", "Hi you"), (Pieces{"Hi", " you"}));
  EXPECT_TRUE(split("gpt-2", "").empty());
}

TEST(PreTokenizer, Llama3GroupsDigitsByThree) {
  EXPECT_EQ(split("llama3", "1234567"), (Pieces{"123", "456", "7"}));
  EXPECT_EQ(split("llama-bpe", "a 12345b"), (Pieces{"a", " ", "123", "45", "b"}));
  EXPECT_EQ(split("llama3", "I'M here"), (Pieces{"I", "'M", " here"}));  // case-insensitive
  EXPECT_EQ(split("llama3", "x\n\n  y"), (Pieces{"x", "\n\n", " ", " y"}));
  EXPECT_EQ(split("llama3", "(hi)"), (Pieces{"(hi", ")"}));
}

TEST(PreTokenizer, Qwen2SplitsSingleDigits) {
  EXPECT_EQ(split("qwen2", "x 2024!"), (Pieces{"x", " ", "2", "0", "2", "4", "!"}));
}

TEST(PreTokenizer, StarcoderSplitsDigitsFirst) {
  EXPECT_EQ(split("starcoder", "ab 123"), (Pieces{"ab", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, DeepseekCoder) {
  EXPECT_EQ(split("deepseek-coder", "Hi, you 42\n"),
            (Pieces{"Hi", ",", " you", " ", "4", "2", "\n"}));
}

TEST(PreTokenizer, FalconSplitsDigitsAfterTheByteMapping) {
  // " 4" leaves the GPT-2 regex whole; the byte-level digit split then cuts off the space.
  EXPECT_EQ(split("falcon", "ied 4 12345"), (Pieces{"ied", " ", "4", " ", "123", "45"}));
  // U+00BD is the bytes C2 BD; in the byte alphabet BD reads as the digit '½'.
  EXPECT_EQ(split("falcon", " \xC2\xBD"), (Pieces{" \xC2", "\xBD"}));
  EXPECT_EQ(split("falcon", "a+=b"), (Pieces{"a", "+=", "b"}));
}

TEST(PreTokenizer, BloomKeepsPunctuationApart) {
  EXPECT_EQ(split("bloom", "Hello, big world!"), (Pieces{"Hello", ",", " big", " world", "!"}));
  EXPECT_EQ(split("viking", "ab12 c"), (Pieces{"ab", "1", "2", " c"}));
}

TEST(PreTokenizer, WhitespaceIsHfWhitespace) {
  // U+0085 (NEL) and U+000B are whitespace to HF; ICU's own \s lacks them.
  EXPECT_EQ(split("gpt-2", "a\xC2\x85\xC2\x85z"), (Pieces{"a", "\xC2\x85", "\xC2\x85", "z"}));
  EXPECT_EQ(split("gpt-2", "a\v\vb"), (Pieces{"a", "\v", "\v", "b"}));
}

TEST(PreTokenizer, UnknownNameIsAnError) {
  auto p = PreTokenizer::create("no-such-pre");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("no-such-pre"), std::string::npos);
}

TEST(PreTokenizer, IllFormedUtf8StillCoversTheBytes) {
  const std::string text = "ab\xFF\xC3 c\xE2\x82";
  for (const std::string& pre : PreTokenizer::supported_names()) split(pre, text);
}

// ---------------------------------------------------------------- BPE on a toy vocabulary

TEST(BpeModel, MergesLowestRankFirstAndLeftmostOnTies) {
  // Alphabet "a", "b"; merges: "a a" (rank 0), "aa b" (rank 1).
  const std::vector<std::string> tokens = {"a", "b", "aa", "aab"};
  const std::vector<std::string> merges = {"a a", "aa b"};
  auto bpe = BpeModel::create(tokens, merges, "gpt-2");
  ASSERT_TRUE(bpe.ok()) << bpe.status().to_string();
  std::vector<int32_t> ids;
  (*bpe)->encode("aaab", &ids);  // aa|a|b -> "aa","a","b": "a b" has no merge
  EXPECT_EQ(ids, (std::vector<int32_t>{2, 0, 1}));
  ids.clear();
  (*bpe)->encode("aab", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{3}));
  ids.clear();
  (*bpe)->encode("c", &ids);  // 'c' is not in the vocabulary: dropped
  EXPECT_TRUE(ids.empty());
}

TEST(BpeModel, IgnoreMergesTakesWholeVocabularyPieces) {
  // "abc" is a token, but the merges only reach "ab" + "c".
  const std::vector<std::string> tokens = {"a", "b", "c", "ab", "abc"};
  const std::vector<std::string> merges = {"a b"};
  std::vector<int32_t> ids;
  auto llama3 = BpeModel::create(tokens, merges, "llama3");  // HF ignore_merges = true
  ASSERT_TRUE(llama3.ok());
  EXPECT_TRUE((*llama3)->pre_tokenizer().ignore_merges());
  (*llama3)->encode("abc", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{4}));
  ids.clear();
  auto gpt2 = BpeModel::create(tokens, merges, "gpt-2");
  ASSERT_TRUE(gpt2.ok());
  (*gpt2)->encode("abc", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{3, 2}));
}

TEST(BpeModel, SkipsMergesOutsideTheVocabulary) {
  // "x y" names unknown symbols and "b" has no space: both skipped, the rest still works.
  auto bpe = BpeModel::create({"a", "b", "ab"}, {"x y", "b", "a b"}, "gpt-2");
  ASSERT_TRUE(bpe.ok());
  std::vector<int32_t> ids;
  (*bpe)->encode("abab", &ids);
  EXPECT_EQ(ids, (std::vector<int32_t>{2, 2}));
}

TEST(BpeModel, RejectsUnknownPre) {
  auto bpe = BpeModel::create({"a"}, {}, "bogus");
  ASSERT_FALSE(bpe.ok());
  EXPECT_NE(bpe.status().message().find("bogus"), std::string::npos);
}

// ---------------------------------------------------------------- llama.cpp vectors

struct Vocab {
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::vector<int64_t> types;
  std::string pre;
};

Vocab load_vocab(const std::string& name) {
  Vocab v;
  auto gguf = GgufFile::open(testing::shared_testdata("vocab/ggml-vocab-" + name + ".gguf"));
  EXPECT_TRUE(gguf.ok()) << gguf.status().to_string();
  if (!gguf.ok()) return v;
  v.tokens = (*gguf)->get_string_array("tokenizer.ggml.tokens").value();
  v.merges = (*gguf)->get_string_array("tokenizer.ggml.merges").value();
  v.types = (*gguf)->get_int_array("tokenizer.ggml.token_type").value();
  v.pre = (*gguf)->get_string_or("tokenizer.ggml.pre", "").value();
  return v;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The .inp strings: each one is followed by "\n__ggml_vocab_test__\n".
std::vector<std::string> read_inputs(const std::string& path) {
  const std::string all = read_file(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t hit; (hit = all.find(sep, pos)) != std::string::npos; pos = hit + sep.size()) {
    out.push_back(all.substr(pos, hit - pos));
  }
  EXPECT_EQ(pos, all.size()) << "trailing text after the last separator";
  return out;
}

std::vector<std::vector<int32_t>> read_outputs(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<std::vector<int32_t>> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    out.emplace_back();
    for (int32_t id; ls >> id;) out.back().push_back(id);
  }
  return out;
}

// llama.cpp (like HF's added-token pass) takes USER_DEFINED tokens (type 4) out
// of the text before the BPE model sees it, even without special-token
// parsing: longest token text first, every occurrence in every text fragment.
// Here only as the test's stand-in for the Tokenizer class.
void encode_with_user_defined(const BpeModel& bpe, const Vocab& vocab, const std::string& text,
                              std::vector<int32_t>* out) {
  struct Fragment {
    std::string text;
    int32_t id;  // -1: raw text
  };
  std::vector<Fragment> fragments = {{text, -1}};
  std::vector<int32_t> user_defined;
  for (size_t i = 0; i < vocab.types.size(); ++i) {
    if (vocab.types[i] == 4) user_defined.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(user_defined.begin(), user_defined.end(), [&](int32_t a, int32_t b) {
    return vocab.tokens[a].size() > vocab.tokens[b].size();
  });
  for (int32_t id : user_defined) {
    const std::string& tok = vocab.tokens[id];
    std::vector<Fragment> next;
    for (const Fragment& f : fragments) {
      if (f.id >= 0 || tok.empty()) {
        next.push_back(f);
        continue;
      }
      size_t pos = 0;
      for (size_t hit; (hit = f.text.find(tok, pos)) != std::string::npos; pos = hit + tok.size()) {
        if (hit > pos) next.push_back({f.text.substr(pos, hit - pos), -1});
        next.push_back({"", id});
      }
      if (pos < f.text.size()) next.push_back({f.text.substr(pos), -1});
    }
    fragments = std::move(next);
  }
  for (const Fragment& f : fragments) {
    if (f.id >= 0) {
      out->push_back(f.id);
    } else {
      bpe.encode(f.text, out);
    }
  }
}

std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

class VocabVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectors, MatchHuggingFace) {
  const std::string name = GetParam();
  const Vocab vocab = load_vocab(name);
  ASSERT_FALSE(vocab.tokens.empty());
  auto bpe = BpeModel::create(vocab.tokens, vocab.merges, vocab.pre);
  ASSERT_TRUE(bpe.ok()) << bpe.status().to_string();
  const std::string base = testing::shared_testdata("vocab/ggml-vocab-" + name + ".gguf");
  const auto inputs = read_inputs(base + ".inp");
  const auto expected = read_outputs(base + ".out");
  ASSERT_EQ(inputs.size(), 46u);
  ASSERT_EQ(expected.size(), inputs.size());
  int n_pass = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<int32_t> ids;
    encode_with_user_defined(**bpe, vocab, inputs[i], &ids);
    EXPECT_EQ(ids, expected[i]) << name << " vector " << i << " '" << inputs[i]
                                << "'\n got:     " << ids_to_string(ids)
                                << "\n expected:" << ids_to_string(expected[i]);
    n_pass += ids == expected[i];
  }
  std::printf("[ vocab    ] %s (pre '%s'): %d/%zu vectors match\n", name.c_str(), vocab.pre.c_str(),
              n_pass, inputs.size());
}

INSTANTIATE_TEST_SUITE_P(LlamaCpp, VocabVectors,
                         ::testing::Values("gpt-2", "deepseek-coder", "deepseek-llm", "falcon",
                                           "starcoder"));

// ---------------------------------------------------------------- long inputs

TEST(BpeModel, LongInputsStayFast) {
  const Vocab vocab = load_vocab("gpt-2");
  auto bpe = BpeModel::create(vocab.tokens, vocab.merges, vocab.pre);
  ASSERT_TRUE(bpe.ok());
  // One 20k-letter word (a single piece), and 20k spaces.
  std::string word;
  for (int i = 0; i < 20000; ++i) word.push_back(static_cast<char>('a' + (i * 7) % 26));
  const auto start = std::chrono::steady_clock::now();
  std::vector<int32_t> ids;
  (*bpe)->encode(word, &ids);
  std::string decoded;
  for (int32_t id : ids) decoded += BpeModel::piece_to_bytes(vocab.tokens[id]);
  EXPECT_EQ(decoded, word);
  ids.clear();
  const std::string spaces(20000, ' ');
  (*bpe)->encode(spaces, &ids);
  decoded.clear();
  for (int32_t id : ids) decoded += BpeModel::piece_to_bytes(vocab.tokens[id]);
  EXPECT_EQ(decoded, spaces);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
}

TEST(BpeModel, EncodeDecodeRoundTripsArbitraryBytes) {
  const Vocab vocab = load_vocab("gpt-2");
  auto bpe = BpeModel::create(vocab.tokens, vocab.merges, vocab.pre);
  ASSERT_TRUE(bpe.ok());
  std::string text = "héllo wörld 123 \xF0\x9F\xA6\x99 ";
  for (int b = 0; b < 256; ++b) text.push_back(static_cast<char>(b));  // ill-formed UTF-8 too
  std::vector<int32_t> ids;
  (*bpe)->encode(text, &ids);
  std::string decoded;
  for (int32_t id : ids) decoded += BpeModel::piece_to_bytes(vocab.tokens[id]);
  EXPECT_EQ(decoded, text);
}

}  // namespace
}  // namespace impetus
