// Vocab: the token table of a model as read from GGUF metadata (llama.cpp's
// tokenizer.ggml.* keys): each token's text, score and attributes, the
// special token ids, the add-BOS/EOS and space-prefix flags, and the
// derived tables the tokenizers need (text -> id, the special tokens sorted
// longest first, the end-of-generation set).
//
// The defaults follow llama.cpp's loader, so that a GGUF file tokenizes the
// same way here as there: per model type ("llama" SPM, "gpt2" BPE, "bert"
// WordPiece) default special ids and flags, then the metadata keys, then the
// text-based detection of EOT/EOM/FIM tokens (which are forced to CONTROL),
// then per-model strip attributes (Phi-3 right-strips after its special
// tokens).
//
//   IMP_ASSIGN_OR_RETURN(Vocab vocab, load_vocab(gguf));
//   int32_t id = vocab.lookup("<s>");   // -1 when absent
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace impetus {

class GgufFile;

enum class VocabType {
  kSpm,  // "llama": SentencePiece, scores + byte fallback
  kBpe,  // "gpt2": byte-level BPE with merges
  kWpm,  // "bert": WordPiece
};

// Values of tokenizer.ggml.token_type.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Per-token attribute bits (the same bits llama.cpp uses).
namespace token_attr {
inline constexpr uint32_t kUndefined = 0;
inline constexpr uint32_t kUnknown = 1u << 0;
inline constexpr uint32_t kUnused = 1u << 1;
inline constexpr uint32_t kNormal = 1u << 2;
inline constexpr uint32_t kControl = 1u << 3;
inline constexpr uint32_t kUserDefined = 1u << 4;
inline constexpr uint32_t kByte = 1u << 5;
inline constexpr uint32_t kLstrip = 1u << 7;  // swallow whitespace before the token
inline constexpr uint32_t kRstrip = 1u << 8;  // swallow whitespace after the token
}  // namespace token_attr

struct TokenData {
  std::string text;  // as stored in the vocabulary ('▁' for spaces in SPM, byte-level in BPE)
  float score = 0.0f;
  uint32_t attr = token_attr::kNormal;
};

// -1 means "none".
struct SpecialTokenIds {
  int32_t bos = -1;  // bert: [CLS]
  int32_t eos = -1;
  int32_t eot = -1;
  int32_t eom = -1;
  int32_t unk = -1;
  int32_t sep = -1;
  int32_t pad = -1;
  int32_t mask = -1;
  int32_t fim_pre = -1;
  int32_t fim_suf = -1;
  int32_t fim_mid = -1;
  int32_t fim_pad = -1;
  int32_t fim_rep = -1;
  int32_t fim_sep = -1;
};

// Heterogeneous hashing so that a string_view finds a std::string key.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Vocab {
  VocabType type = VocabType::kSpm;
  std::string model;          // tokenizer.ggml.model
  std::string pre;            // tokenizer.ggml.pre ("" when absent)
  std::string chat_template;  // tokenizer.chat_template ("" when absent)
  std::vector<TokenData> tokens;
  std::vector<std::string> merges;  // BPE only: "left right" per rank (the Tokenizer
                                    // hands them to its BpeModel and clears them)
  SpecialTokenIds ids;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;           // bert: [SEP] closes an add_special encoding
  bool add_space_prefix = false;  // SPM: a leading '▁' before the text
  size_t max_token_len = 0;       // longest token text in bytes

  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> text_to_id;
  // CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first (ties: lower id).
  std::vector<int32_t> special_tokens;
  std::set<int32_t> eog_ids;

  int32_t n_tokens() const { return static_cast<int32_t>(tokens.size()); }
  bool valid_id(int32_t id) const { return id >= 0 && id < n_tokens(); }
  bool has_attr(int32_t id, uint32_t attr) const { return (tokens[id].attr & attr) != 0; }
  // The id of the token whose text is exactly `text`, or -1.
  int32_t lookup(std::string_view text) const {
    auto it = text_to_id.find(text);
    return it == text_to_id.end() ? -1 : it->second;
  }
};

// Reads the vocabulary of a GGUF file (see the header comment for the rules).
// INVALID_ARGUMENT / DATA_LOSS for missing or inconsistent metadata,
// UNIMPLEMENTED for tokenizer models other than llama, gpt2 and bert.
StatusOr<Vocab> load_vocab(const GgufFile& gguf);

}  // namespace impetus
