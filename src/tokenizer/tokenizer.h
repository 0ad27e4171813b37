// Tokenizer: text <-> token ids for a model, built from the tokenizer
// metadata of its GGUF file (llama.cpp's tokenizer.ggml.* keys). Three
// tokenizer models are supported, as tokenizer.ggml.model names them:
//   "llama"  SentencePiece (scores, '▁' for spaces, <0xAB> byte fallback)
//   "gpt2"   byte-level BPE with merges and a named pre-tokenizer (BpeModel)
//   "bert"   WordPiece with BERT normalization
// Encoding first splits the text at special-token texts (special_split.h),
// then tokenizes each run of plain text with the model; the result matches
// llama.cpp's llama_tokenize for the same file. The tokenizer is immutable
// after creation and safe to share between threads.
//
//   IMP_ASSIGN_OR_RETURN(auto gguf, GgufFile::open(path));
//   IMP_ASSIGN_OR_RETURN(auto tok, Tokenizer::from_gguf(*gguf));
//   std::vector<int32_t> ids = tok->encode("Hello world", /*add_special=*/true,
//                                          /*parse_special=*/false);
//   std::string text = tok->decode(ids);   // "Hello world"
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/vocab.h"

namespace impetus {

class BpeModel;
class GgufFile;
class SpmModel;
class WordPieceModel;

class Tokenizer {
 public:
  // Reads the vocabulary and builds the model named by tokenizer.ggml.model.
  static StatusOr<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& gguf);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: BOS first / EOS last as the vocabulary says (add_bos(),
  // add_eos()); for bert [CLS] first and [SEP] last.
  // parse_special: texts of CONTROL and UNKNOWN tokens in `text` become those
  // tokens ("<s>", "<|user|>"); USER_DEFINED tokens are recognised always.
  // SPM puts a space before the text and after every special token when
  // the vocabulary's add_space_prefix says so.
  std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for: SPM '▁' -> ' ' and <0xAB> -> that byte,
  // BPE byte-level decoding, bert '▁' -> ' '. CONTROL and UNKNOWN tokens give
  // "" unless render_special (then their text); an id outside the
  // vocabulary gives "". The bytes may be part of a UTF-8 character.
  std::string token_to_piece(int32_t id, bool render_special = false) const;

  // The concatenated pieces of `ids`. When decode_strips_leading_space(), the
  // first token after the start (after a leading BOS too, unless
  // render_special shows it) loses one leading space: the space that SPM's
  // prefix or WordPiece's word marker added. Bytes are returned as they are
  // (not UTF-8-checked); StreamDetokenizer gives checked text incrementally.
  std::string decode(const std::vector<int32_t>& ids, bool render_special = false) const;

  int32_t n_vocab() const { return vocab_.n_tokens(); }
  int32_t bos_id() const { return vocab_.ids.bos; }  // -1 if none; bert: [CLS]
  int32_t eos_id() const { return vocab_.ids.eos; }  // -1 if none
  int32_t eot_id() const { return vocab_.ids.eot; }  // -1 if none
  int32_t unk_id() const { return vocab_.ids.unk; }  // -1 if none
  int32_t sep_id() const { return vocab_.ids.sep; }  // -1 if none
  int32_t pad_id() const { return vocab_.ids.pad; }  // -1 if none
  bool add_bos() const { return vocab_.add_bos; }
  bool add_eos() const { return vocab_.add_eos; }
  bool decode_strips_leading_space() const;

  // End of generation: eos, eot, eom, the FIM pad/repo/separator tokens and
  // the tokens llama.cpp recognises by text (<|eot_id|>, <|im_end|>, <|end|>,
  // <end_of_turn>, <|endoftext|>, <|eom_id|>, <EOT>, ...).
  bool is_eog(int32_t id) const { return vocab_.eog_ids.count(id) > 0; }
  bool is_control(int32_t id) const {
    return vocab_.valid_id(id) && vocab_.has_attr(id, token_attr::kControl);
  }
  // The raw vocabulary string; `id` must be in [0, n_vocab()).
  const std::string& token_text(int32_t id) const;
  // The id of the token whose raw text is exactly `text`.
  std::optional<int32_t> find_token(std::string_view text) const;
  const std::string& chat_template() const { return vocab_.chat_template; }  // "" if none
  std::string_view model_type() const { return vocab_.model; }  // "llama" / "gpt2" / "bert"
  const Vocab& vocab() const { return vocab_; }

 private:
  explicit Tokenizer(Vocab vocab);
  Status build_models();
  void build_pieces();
  // One run of plain text; `after_special`: at the start or after a special token.
  void encode_text(std::string_view text, bool after_special, std::vector<int32_t>* out) const;

  Vocab vocab_;
  std::unique_ptr<SpmModel> spm_;
  std::unique_ptr<WordPieceModel> wpm_;
  std::unique_ptr<BpeModel> bpe_;
  std::vector<std::string> pieces_;  // token_to_piece(id, false) for every id
};

}  // namespace impetus
