// StreamDetokenizer: turns tokens into text one at a time, as they are
// generated, and never hands out a broken UTF-8 character. A character
// whose bytes arrive in several tokens (SPM byte tokens <0xE2><0x96><0x81>,
// byte-level BPE pieces) is held back until it is complete; bytes that can
// never form a character become U+FFFD at once.
//
//   StreamDetokenizer stream(tokenizer);
//   for (int32_t id : generated) send(stream.push(id));
//   send(stream.flush());
//
// By default pieces are emitted as they are (right for text that continues
// a prompt). With strip_leading_space, the stream applies Tokenizer::decode's
// leading-space rule, so that the concatenated output equals
// utf8_sanitize(decode(ids)) for a sequence decoded from its start.
#pragma once

#include <cstdint>
#include <string>

namespace impetus {

class Tokenizer;

struct StreamDetokenizerOptions {
  bool render_special = false;       // show CONTROL/UNKNOWN token texts ("<|end|>")
  bool strip_leading_space = false;  // the stream starts a sequence: see decode()
};

class StreamDetokenizer {
 public:
  // `tokenizer` must outlive the detokenizer.
  explicit StreamDetokenizer(const Tokenizer& tokenizer, StreamDetokenizerOptions options = {});

  // Adds one token; returns the text that became complete (maybe "").
  std::string push(int32_t id);
  // Returns whatever is held back, an incomplete character as U+FFFD, and
  // resets the stream (the leading-space rule does not apply again).
  std::string flush();
  // Bytes held back, waiting for the rest of a character.
  size_t n_pending() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  StreamDetokenizerOptions options_;
  std::string pending_;
  bool strip_pending_;   // the next text token loses one leading space
  size_t n_pushed_ = 0;
};

}  // namespace impetus
