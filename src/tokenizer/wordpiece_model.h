// WordPieceModel: BERT tokenization (llama.cpp's "bert" / WPM vocabularies),
// following the Hugging Face BertNormalizer + BertPreTokenizer + WordPiece
// pipeline that produced the reference vectors:
//   1. clean: drop NUL, U+FFFD and control characters (category C, except
//      \t \n \r), turn whitespace into ' ', put spaces around CJK ideographs;
//   2. strip accents (NFD, then drop nonspacing marks Mn) and lowercase;
//   3. split on whitespace, and make each punctuation character (ASCII
//      punctuation or category P) a word of its own;
//   4. per word, greedy longest-match-first over the vocabulary; a word of
//      more than 100 characters, or one that cannot be covered, is [UNK].
// GGUF stores BERT vocabularies with '▁' marking word-initial pieces and no
// "##" on continuations, so the first piece is looked up as "▁" + piece.
// ICU provides the Unicode normalization, categories and case mapping.
//
//   WordPieceModel wpm(vocab);
//   wpm.encode("Hello, world!", &ids);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace impetus {

// Steps 1-3: the normalized words of `text` (UTF-8; ill-formed bytes are dropped).
std::vector<std::string> bert_pre_tokenize(std::string_view text);

class WordPieceModel {
 public:
  // `vocab` must outlive the model.
  explicit WordPieceModel(const Vocab& vocab) : vocab_(vocab) {}

  // Appends the ids of `text` to `out`.
  void encode(std::string_view text, std::vector<int32_t>* out) const;

 private:
  void encode_word(const std::string& word, std::vector<int32_t>* out) const;

  const Vocab& vocab_;
};

}  // namespace impetus
