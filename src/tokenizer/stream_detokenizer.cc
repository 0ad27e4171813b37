// StreamDetokenizer: pending bytes + utf8_append_sanitized.
#include "tokenizer/stream_detokenizer.h"

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace impetus {

StreamDetokenizer::StreamDetokenizer(const Tokenizer& tokenizer, StreamDetokenizerOptions options)
    : tokenizer_(tokenizer),
      options_(options),
      strip_pending_(options.strip_leading_space && tokenizer.decode_strips_leading_space()) {}

std::string StreamDetokenizer::push(int32_t id) {
  std::string piece = tokenizer_.token_to_piece(id, options_.render_special);
  if (strip_pending_) {
    // The same rule as Tokenizer::decode: a leading (hidden) BOS passes the
    // strip on to the token after it.
    const bool leading_bos = n_pushed_ == 0 && id == tokenizer_.bos_id() && !options_.render_special;
    if (!leading_bos) {
      if (!piece.empty() && piece[0] == ' ') piece.erase(0, 1);
      strip_pending_ = false;
    }
  }
  ++n_pushed_;
  pending_ += piece;
  std::string out;
  const size_t used = utf8_append_sanitized(pending_, &out);
  pending_.erase(0, used);
  return out;
}

std::string StreamDetokenizer::flush() {
  std::string out = utf8_sanitize(pending_);
  pending_.clear();
  strip_pending_ = false;
  return out;
}

}  // namespace impetus
