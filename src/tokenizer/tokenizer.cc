// Tokenizer: special-token splitting + the SPM / BPE / WordPiece models.
#include "tokenizer/tokenizer.h"

#include "core/check.h"
#include "model/formats/gguf_reader.h"
#include "tokenizer/bpe.h"
#include "tokenizer/special_split.h"
#include "tokenizer/spm_model.h"
#include "tokenizer/wordpiece_model.h"

namespace impetus {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text, pos, hit - pos).append(to);
    pos = hit + from.size();
  }
  out.append(text, pos);
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xAB>" -> the byte 0xAB; "" for any other text.
std::string byte_token_bytes(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return "";
  const int hi = hex_digit(text[3]);
  const int lo = hex_digit(text[4]);
  if (hi < 0 || lo < 0) return "";
  return std::string(1, static_cast<char>(hi * 16 + lo));
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
Tokenizer::~Tokenizer() = default;

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& gguf) {
  IMP_ASSIGN_OR_RETURN(Vocab vocab, load_vocab(gguf));
  std::unique_ptr<Tokenizer> tok(new Tokenizer(std::move(vocab)));
  IMP_RETURN_IF_ERROR(tok->build_models());
  tok->build_pieces();
  return tok;
}

Status Tokenizer::build_models() {
  switch (vocab_.type) {
    case VocabType::kSpm:
      spm_ = std::make_unique<SpmModel>(vocab_);
      break;
    case VocabType::kWpm:
      wpm_ = std::make_unique<WordPieceModel>(vocab_);
      break;
    case VocabType::kBpe: {
      std::vector<std::string> texts;
      texts.reserve(vocab_.tokens.size());
      for (const TokenData& t : vocab_.tokens) texts.push_back(t.text);
      auto bpe = BpeModel::create(texts, vocab_.merges, vocab_.pre);
      if (!bpe.ok()) return bpe.status().with_context("tokenizer");
      bpe_ = std::move(bpe).value();
      vocab_.merges = {};
      break;
    }
  }
  return ok_status();
}

void Tokenizer::build_pieces() {
  pieces_.resize(vocab_.tokens.size());
  for (size_t id = 0; id < vocab_.tokens.size(); ++id) {
    const TokenData& t = vocab_.tokens[id];
    std::string& piece = pieces_[id];
    if (t.attr & (token_attr::kUnknown | token_attr::kControl)) {
      piece.clear();  // shown only with render_special
    } else if (t.attr & token_attr::kUserDefined) {
      piece = t.text;
    } else if (t.attr & token_attr::kNormal) {
      piece = vocab_.type == VocabType::kBpe ? BpeModel::piece_to_bytes(t.text)
                                             : replace_all(t.text, kSpace, " ");
    } else if (t.attr & token_attr::kByte) {
      piece = byte_token_bytes(t.text);
    }  // UNUSED and UNDEFINED tokens stay empty, as in llama.cpp
  }
}

void Tokenizer::encode_text(std::string_view text, bool after_special,
                            std::vector<int32_t>* out) const {
  switch (vocab_.type) {
    case VocabType::kSpm: {
      std::string escaped;
      if (vocab_.add_space_prefix && after_special) escaped = kSpace;
      escaped += replace_all(text, " ", kSpace);
      spm_->encode(escaped, out);
      break;
    }
    case VocabType::kBpe:
      bpe_->encode(text, out);
      break;
    case VocabType::kWpm:
      wpm_->encode(text, out);
      break;
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && vocab_.add_bos && vocab_.ids.bos >= 0) out.push_back(vocab_.ids.bos);
  bool after_special = true;
  for (const TextFragment& f : split_special_tokens(vocab_, text, parse_special)) {
    if (f.is_token()) {
      out.push_back(f.token);
      after_special = true;
    } else {
      encode_text(text.substr(f.offset, f.length), after_special, &out);
      after_special = false;
    }
  }
  if (add_special) {
    if (vocab_.add_eos && vocab_.ids.eos >= 0) out.push_back(vocab_.ids.eos);
    if (vocab_.add_sep && vocab_.ids.sep >= 0) out.push_back(vocab_.ids.sep);
  }
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
  if (!vocab_.valid_id(id)) return "";
  if (render_special && vocab_.has_attr(id, token_attr::kUnknown | token_attr::kControl)) {
    return vocab_.tokens[id].text;
  }
  return pieces_[id];
}

bool Tokenizer::decode_strips_leading_space() const {
  return (vocab_.type == VocabType::kSpm && vocab_.add_space_prefix) ||
         vocab_.type == VocabType::kWpm;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::string out;
  bool strip = decode_strips_leading_space();
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string piece = token_to_piece(ids[i], render_special);
    if (strip) {
      if (i == 0 && ids[i] == vocab_.ids.bos && !render_special) {
        out += piece;  // BOS renders as ""; the space to strip comes next
        continue;
      }
      if (!piece.empty() && piece[0] == ' ') piece.erase(0, 1);
      strip = false;
    }
    out += piece;
  }
  return out;
}

const std::string& Tokenizer::token_text(int32_t id) const {
  IMP_CHECK(vocab_.valid_id(id), "token id ", id, " outside the vocabulary of ", n_vocab());
  return vocab_.tokens[id].text;
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  const int32_t id = vocab_.lookup(text);
  if (id < 0) return std::nullopt;
  return id;
}

}  // namespace impetus
