// Tokenizer on real vocabularies: stories260K's known encodings, special
// tokens (parse_special, user-defined tokens, Phi-3's right-strip), BOS/EOS
// rules per model type, end-of-generation tokens, decode round trips, and
// speed. The expected ids come from the llama.cpp vectors, PROVENANCE.md
// (checked against llama2.c) or the vocabulary itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "tokenizer/test_vocabs.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/wordpiece_model.h"

namespace impetus {
namespace {

using Ids = std::vector<int32_t>;
using testing::stories_tokenizer;
using testing::vocab_test_strings;
using testing::vocab_tokenizer;

bool contains(const Ids& ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

TEST(Stories260K, EncodesKnownPrompts) {
  const Tokenizer* tok = stories_tokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->encode("Once upon a time", false, false), (Ids{403, 407, 261, 378}));
  EXPECT_EQ(tok->encode("Hello world", false, false), (Ids{346, 306, 414, 263, 304, 341}));
  EXPECT_EQ(tok->encode("Zoo", false, false), (Ids{410, 469, 347}));
  EXPECT_EQ(tok->encode("Once upon a time", true, false), (Ids{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok->encode("", true, false), (Ids{1}));
  EXPECT_EQ(tok->encode("", false, false), (Ids{}));
}

TEST(Stories260K, Metadata) {
  const Tokenizer* tok = stories_tokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->n_vocab(), 512);
  EXPECT_EQ(tok->model_type(), "llama");
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->unk_id(), 0);
  EXPECT_EQ(tok->sep_id(), -1);  // 0xFFFFFFFF in the file: unset
  EXPECT_EQ(tok->pad_id(), -1);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_FALSE(tok->add_eos());
  EXPECT_EQ(tok->chat_template(), "");
  EXPECT_EQ(tok->token_text(1), "<s>");
  EXPECT_EQ(tok->find_token("<0x41>"), 3 + 0x41);
  EXPECT_EQ(tok->find_token("no such token"), std::nullopt);
  EXPECT_TRUE(tok->is_control(1));
  EXPECT_FALSE(tok->is_control(403));
  EXPECT_TRUE(tok->is_eog(2));
  EXPECT_FALSE(tok->is_eog(1));
}

TEST(Stories260K, ByteFallbackForUnknownCharacters) {
  const Tokenizer* tok = stories_tokenizer();
  ASSERT_NE(tok, nullptr);
  const std::string wo = "\xE6\x88\x91";  // U+6211, not a piece of this vocabulary
  ASSERT_EQ(tok->find_token(wo), std::nullopt);
  // '▁' (410) then the bytes E6 88 91 as <0xE6> <0x88> <0x91> (byte b is id 3 + b).
  const Ids expected = {410, 3 + 0xE6, 3 + 0x88, 3 + 0x91};
  EXPECT_EQ(tok->encode(wo, false, false), expected);
  EXPECT_EQ(tok->decode(expected), wo);
}

TEST(Stories260K, PiecesAndDecode) {
  const Tokenizer* tok = stories_tokenizer();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->token_to_piece(403), " Once");
  EXPECT_EQ(tok->token_to_piece(3 + 'A'), "A");
  EXPECT_EQ(tok->token_to_piece(1), "");
  EXPECT_EQ(tok->token_to_piece(1, true), "<s>");
  EXPECT_EQ(tok->token_to_piece(-1), "");
  EXPECT_EQ(tok->token_to_piece(512), "");
  EXPECT_EQ(tok->decode({403, 407, 261, 378}), "Once upon a time");
  EXPECT_EQ(tok->decode({1, 403, 407, 261, 378}), "Once upon a time");
  EXPECT_EQ(tok->decode({1, 403, 407, 2}, true), "<s> Once upon</s>");
  // Only the first word loses its space.
  EXPECT_EQ(tok->decode({403, 403}), "Once Once");
}

// SPM encoding is lossless: decode(encode(s)) == s, with and without BOS.
TEST(RoundTrip, SpmEveryTestString) {
  for (const char* name : {"llama-spm", "phi-3"}) {
    const Tokenizer* tok = vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr) << name;
    for (const std::string& s : vocab_test_strings()) {
      EXPECT_EQ(tok->decode(tok->encode(s, false, false)), s) << name << ": " << s;
      EXPECT_EQ(tok->decode(tok->encode(s, true, false)), s) << name << ": " << s;
    }
  }
}

// Byte-level BPE is lossless too.
TEST(RoundTrip, BpeEveryTestString) {
  for (const char* name : {"gpt-2", "deepseek-coder", "deepseek-llm", "falcon", "starcoder"}) {
    const Tokenizer* tok = vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr) << name;
    for (const std::string& s : vocab_test_strings()) {
      EXPECT_EQ(tok->decode(tok->encode(s, false, false)), s) << name << ": " << s;
    }
  }
}

TEST(ParseSpecial, LlamaControlTokens) {
  const Tokenizer* tok = vocab_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  // "Hello" after a special token gets the space prefix: "▁Hello" = 15043.
  EXPECT_EQ(tok->encode("<s>Hello", false, true), (Ids{1, 15043}));
  EXPECT_EQ(tok->encode("Hello</s>", false, true), (Ids{15043, 2}));
  EXPECT_EQ(tok->encode("<s>", true, true), (Ids{1, 1}));
  const Ids plain = tok->encode("<s>Hello", false, false);
  EXPECT_FALSE(contains(plain, 1));
  EXPECT_EQ(tok->decode(plain), "<s>Hello");
}

TEST(ParseSpecial, Phi3ChatTokens) {
  const Tokenizer* tok = vocab_tokenizer("phi-3");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->find_token("<|user|>"), 32010);
  EXPECT_EQ(tok->encode("<|user|>", false, true), (Ids{32010}));
  // Phi-3's special tokens swallow the whitespace after them (llama.cpp's RSTRIP).
  EXPECT_EQ(tok->encode("<|user|>\nHello", false, true), (Ids{32010, 15043}));
  EXPECT_EQ(tok->encode("Hello<|end|>", false, true), (Ids{15043, 32007}));
  EXPECT_FALSE(contains(tok->encode("<|user|>", false, false), 32010));
  // "</s>" is USER_DEFINED in Phi-3: split out even without parse_special.
  EXPECT_TRUE(contains(tok->encode("a</s>b", false, false), 2));
  const std::string& tmpl = tok->chat_template();
  EXPECT_NE(tmpl.find("<|user|>"), std::string::npos);
}

TEST(Eog, Phi3) {
  const Tokenizer* tok = vocab_tokenizer("phi-3");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->eos_id(), 32000);
  EXPECT_EQ(tok->eot_id(), 32007);  // found by its text <|end|>
  EXPECT_TRUE(tok->is_eog(32007));  // <|end|>
  EXPECT_TRUE(tok->is_eog(32000));  // <|endoftext|> (eos)
  EXPECT_FALSE(tok->is_eog(32010));  // <|user|>
  EXPECT_FALSE(tok->is_eog(15043));
  EXPECT_FALSE(tok->is_eog(-1));
  EXPECT_TRUE(tok->is_control(32007));
  EXPECT_EQ(tok->token_to_piece(32007), "");
  EXPECT_EQ(tok->token_to_piece(32007, true), "<|end|>");
}

TEST(BosEos, Gpt2DoesNotAddBos) {
  const Tokenizer* tok = vocab_tokenizer("gpt-2");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->model_type(), "gpt2");
  EXPECT_FALSE(tok->add_bos());
  EXPECT_EQ(tok->bos_id(), 50256);
  EXPECT_TRUE(tok->is_eog(50256));
  EXPECT_EQ(tok->encode("Hello world", true, false), (Ids{15496, 995}));
  EXPECT_EQ(tok->encode("<|endoftext|>", false, true), (Ids{50256}));
  EXPECT_FALSE(contains(tok->encode("<|endoftext|>", false, false), 50256));
  EXPECT_EQ(tok->decode({15496, 995}), "Hello world");
}

TEST(BosEos, DeepseekAddsBosFromMetadata) {
  const Tokenizer* tok = vocab_tokenizer("deepseek-coder");
  ASSERT_NE(tok, nullptr);
  EXPECT_TRUE(tok->add_bos());
  const Ids ids = tok->encode("Hello", true, false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.front(), 32013);
  EXPECT_EQ(ids.back(), tok->encode("Hello", false, false).back());
}

TEST(Bert, ClsAndSep) {
  const Tokenizer* tok = vocab_tokenizer("bert-bge");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->model_type(), "bert");
  EXPECT_EQ(tok->bos_id(), 101);
  EXPECT_EQ(tok->sep_id(), 102);
  EXPECT_EQ(tok->encode("Hello world", true, false), (Ids{101, 7592, 2088, 102}));
  EXPECT_EQ(tok->decode({101, 7592, 2088, 102}), "hello world");
  EXPECT_EQ(tok->decode({101, 7592, 2088, 102}, true), "[CLS] hello world[SEP]");
  EXPECT_EQ(tok->encode("[CLS] Hello", false, true), (Ids{101, 7592}));
}

TEST(Bert, PreTokenizer) {
  // Accents stripped after NFD, lowercased, punctuation and CJK isolated,
  // control characters dropped.
  EXPECT_EQ(bert_pre_tokenize("F\xC3\xBChrer, y'all!\t\xE6\x88\x91\xE6\x83\xB3" "a\x01" "b"),
            (std::vector<std::string>{"fuhrer", ",", "y", "'", "all", "!", "\xE6\x88\x91",
                                      "\xE6\x83\xB3", "ab"}));
  EXPECT_EQ(bert_pre_tokenize("  "), std::vector<std::string>{});
}

// Arbitrary bytes (ill-formed UTF-8, NULs, special-token fragments) never
// crash and give ids inside the vocabulary; SPM stays byte-exact (checked on
// llama-spm without parse_special: there no special token can split the text).
TEST(Robustness, RandomBytes) {
  std::mt19937 rng(1234);
  const std::string alphabet =
      std::string("ab <s></s>|<|end|>\n\t\xE2\x96\x81\xC3\xF0\x9F") + std::string(1, '\0');
  for (const char* name : {"llama-spm", "phi-3", "gpt-2", "deepseek-coder", "bert-bge"}) {
    const Tokenizer* tok = vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr) << name;
    for (int iter = 0; iter < 200; ++iter) {
      std::string text(rng() % 40, '\0');
      for (char& c : text) {
        c = rng() % 2 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
      }
      const Ids ids = tok->encode(text, iter % 2 == 0, iter % 3 == 0);
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok->n_vocab()) << name;
      if (std::string(name) == "llama-spm" && iter % 3 != 0) {
        EXPECT_EQ(tok->decode(ids), text) << name << " iteration " << iter;
      }
    }
  }
}

std::string text_of_size(size_t n_bytes) {
  std::string text;
  while (text.size() < n_bytes) {
    for (const std::string& s : vocab_test_strings()) text += s + " ";
  }
  return text;
}

TEST(Speed, SpmEncodes100KBQuickly) {
  const Tokenizer* tok = vocab_tokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  const std::string text = text_of_size(100 * 1024);
  const auto t0 = std::chrono::steady_clock::now();
  const Ids ids = tok->encode(text, true, false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ speed    ] llama-spm: %zu bytes -> %zu tokens in %.1f ms\n", text.size(),
              ids.size(), seconds * 1e3);
  EXPECT_LT(seconds, 1.0);
  EXPECT_EQ(tok->decode(ids), text);
}

// The other models: no pathological slowness either (a loose bound).
TEST(Speed, BpeAndWordPieceEncode100KB) {
  const std::string text = text_of_size(100 * 1024);
  for (const char* name : {"gpt-2", "deepseek-llm", "bert-bge"}) {
    const Tokenizer* tok = vocab_tokenizer(name);
    ASSERT_NE(tok, nullptr) << name;
    const auto t0 = std::chrono::steady_clock::now();
    const Ids ids = tok->encode(text, true, true);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ speed    ] %s: %zu bytes -> %zu tokens in %.1f ms\n", name, text.size(),
                ids.size(), seconds * 1e3);
    EXPECT_LT(seconds, 2.0) << name;
  }
}

}  // namespace
}  // namespace impetus
