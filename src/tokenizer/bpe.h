// BpeModel: GPT-2-style byte-level BPE (the `gpt2` tokenizer model of GGUF
// files: GPT-2, Llama 3, Qwen 2, DeepSeek, Falcon, StarCoder, ...).
//
// encode() turns plain UTF-8 text (special tokens already taken out by the
// caller) into token ids the way Hugging Face `tokenizers` does: split the
// text with the pre-tokenizer named by `tokenizer.ggml.pre` (pretokenizer.h),
// write each piece in the GPT-2 byte alphabet (byte_unicode.h), then merge
// adjacent symbols, always the pair with the lowest merge rank first (leftmost
// on ties), and look the final symbols up in the vocabulary.
//
//   IMP_ASSIGN_OR_RETURN(auto bpe, BpeModel::create(tokens, merges, "gpt-2"));
//   std::vector<int32_t> ids;
//   bpe->encode("Hello world", &ids);                      // {15496, 995}
//   std::string bytes = BpeModel::piece_to_bytes("Ġworld");  // " world"
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "tokenizer/pretokenizer.h"

namespace impetus {

class BpeModel {
 public:
  // `tokens`: the vocabulary, id = index (tokenizer.ggml.tokens).
  // `merges`: "left right" in rank order (tokenizer.ggml.merges).
  // `pre`: tokenizer.ggml.pre; "" and "default" mean gpt-2; an unknown name is
  // INVALID_ARGUMENT (as llama.cpp refuses it). Merges that are malformed or
  // name symbols missing from the vocabulary are skipped with one warning.
  static StatusOr<std::unique_ptr<BpeModel>> create(const std::vector<std::string>& tokens,
                                                    const std::vector<std::string>& merges,
                                                    const std::string& pre);

  // Appends the ids of `text` (plain UTF-8, no special-token parsing, no BOS)
  // to `out`. A byte whose alphabet character is not in the vocabulary is dropped.
  void encode(std::string_view text, std::vector<int32_t>* out) const;

  // The bytes a vocabulary piece stands for (inverse byte mapping), for
  // detokenization. Characters outside the byte alphabet pass through as UTF-8.
  static std::string piece_to_bytes(std::string_view piece);

  int32_t n_tokens() const { return n_tokens_; }
  const PreTokenizer& pre_tokenizer() const { return *pre_; }

 private:
  struct Merge {
    int32_t rank;
    int32_t result;  // id of the merged symbol
  };
  BpeModel() = default;
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  const Merge* find_merge(int32_t left, int32_t right) const;
  // BPE over one pre-tokenized piece (raw bytes).
  void encode_piece(std::string_view bytes, std::vector<int32_t>* out) const;

  int32_t n_tokens_ = 0;
  std::unordered_map<std::string, int32_t> token_to_id_;
  std::unordered_map<uint64_t, Merge> merges_;  // pair_key(left id, right id) -> merge
  std::array<int32_t, 256> byte_token_{};       // id of each byte's character, or -1
  std::unique_ptr<PreTokenizer> pre_;
};

}  // namespace impetus
