// SpmModel: bigram merging by score over a linked list of symbols.
#include "tokenizer/spm_model.h"

#include <queue>

#include "tokenizer/utf8.h"

namespace impetus {
namespace {

struct Symbol {
  int32_t prev;
  int32_t next;
  size_t offset;  // into the text
  size_t n;       // bytes; 0 once merged into its left neighbour
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  size_t size;  // bytes of the merged text, to detect stale entries
};

// Highest score first; on equal scores the leftmost pair first.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmSession {
 public:
  SpmSession(const Vocab& vocab, std::string_view text) : vocab_(vocab), text_(text) {}

  void run(const SpmModel& model, std::vector<int32_t>* out) {
    split_chars();
    for (int32_t i = 1; i < static_cast<int32_t>(symbols_.size()); ++i) try_add(i - 1, i);
    while (!queue_.empty()) {
      const Bigram b = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[b.left];
      Symbol& right = symbols_[b.right];
      if (left.n == 0 || right.n == 0 || left.n + right.n != b.size) continue;  // stale
      left.n += right.n;
      right.n = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = b.left;
      try_add(left.prev, b.left);
      try_add(b.left, left.next);
    }
    if (symbols_.empty()) return;
    for (int32_t i = 0; i != -1; i = symbols_[i].next) emit(model, symbols_[i], out);
  }

 private:
  void split_chars() {
    symbols_.reserve(text_.size());
    size_t offset = 0;
    int32_t index = 0;
    while (offset < text_.size()) {
      // A character, or one maximal ill-formed subpart (which no token
      // matches, so it falls back to bytes).
      const size_t len = utf8_decode(text_, offset).len;
      Symbol s;
      s.prev = index - 1;
      s.next = offset + len == text_.size() ? -1 : index + 1;
      s.offset = offset;
      s.n = len;
      symbols_.push_back(s);
      offset += len;
      ++index;
    }
  }

  void try_add(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols_[left];
    const size_t size = l.n + symbols_[right].n;
    const int32_t id = vocab_.lookup(text_.substr(l.offset, size));
    if (id < 0) return;
    queue_.push(Bigram{vocab_.tokens[id].score, left, right, size});
  }

  void emit(const SpmModel& model, const Symbol& s, std::vector<int32_t>* out) const {
    const std::string_view piece = text_.substr(s.offset, s.n);
    const int32_t id = vocab_.lookup(piece);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
    for (char c : piece) {
      const int32_t b = model.byte_token(static_cast<uint8_t>(c));
      if (b >= 0) out->push_back(b);
    }
  }

  const Vocab& vocab_;
  std::string_view text_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
};

}  // namespace

SpmModel::SpmModel(const Vocab& vocab) : vocab_(vocab) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    int32_t id = vocab.lookup(std::string_view(name, 6));
    const char byte = static_cast<char>(b);
    if (id < 0) id = vocab.lookup(std::string_view(&byte, 1));
    if (id < 0) id = vocab.ids.unk;
    byte_tokens_[b] = id;
  }
}

void SpmModel::encode(std::string_view text, std::vector<int32_t>* out) const {
  SpmSession session(vocab_, text);
  session.run(*this, out);
}

}  // namespace impetus
