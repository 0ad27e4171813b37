#include "tokenizer/bpe.h"

#include <queue>
#include <utility>

#include "core/log.h"
#include "tokenizer/byte_unicode.h"

namespace impetus {
namespace {

// One symbol of a piece while merging: a vocabulary id in a doubly linked list.
struct Symbol {
  int32_t id;    // -1: a byte whose character is not in the vocabulary
  int32_t prev;  // index of the previous live symbol, -1 at the start
  int32_t next;  // index of the next live symbol, -1 at the end
};

// A merge that was possible when it was queued; stale once either side changed.
struct Candidate {
  int32_t rank;
  int32_t left;   // symbol index
  int32_t right;  // symbol index
  int32_t left_id;
  int32_t right_id;
  int32_t result;
};

// Lowest rank first; among equal ranks the leftmost (as HF and llama.cpp do).
struct LaterCandidate {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

StatusOr<std::unique_ptr<BpeModel>> BpeModel::create(const std::vector<std::string>& tokens,
                                                     const std::vector<std::string>& merges,
                                                     const std::string& pre) {
  if (tokens.empty()) return invalid_argument("BPE vocabulary is empty");
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) {
    return invalid_argument("BPE vocabulary has too many tokens");
  }
  std::unique_ptr<BpeModel> model(new BpeModel());
  IMP_ASSIGN_OR_RETURN(model->pre_, PreTokenizer::create(pre));
  model->n_tokens_ = static_cast<int32_t>(tokens.size());
  model->token_to_id_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    // The first id wins if a text repeats (the base vocabulary precedes added tokens).
    model->token_to_id_.emplace(tokens[i], static_cast<int32_t>(i));
  }
  for (int b = 0; b < 256; ++b) {
    const auto it =
        model->token_to_id_.find(std::string(gpt2_byte_to_utf8(static_cast<uint8_t>(b))));
    model->byte_token_[b] = it == model->token_to_id_.end() ? -1 : it->second;
  }

  size_t n_skipped = 0;
  model->merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size() && rank < static_cast<size_t>(INT32_MAX); ++rank) {
    const std::string& merge = merges[rank];
    // Split at the first space after the first character (symbols hold no raw space).
    const size_t space = merge.find(' ', 1);
    if (space == std::string::npos) {
      ++n_skipped;
      continue;
    }
    const std::string left = merge.substr(0, space);
    const std::string right = merge.substr(space + 1);
    const auto l = model->token_to_id_.find(left);
    const auto r = model->token_to_id_.find(right);
    const auto m = model->token_to_id_.find(left + right);
    if (l == model->token_to_id_.end() || r == model->token_to_id_.end() ||
        m == model->token_to_id_.end()) {
      ++n_skipped;
      continue;
    }
    // emplace keeps the first (lowest) rank of a pair listed twice.
    model->merges_.emplace(pair_key(l->second, r->second),
                           Merge{static_cast<int32_t>(rank), m->second});
  }
  if (n_skipped > 0) {
    IMP_LOG(kWarn, "BPE: skipped ", n_skipped, " of ", merges.size(),
            " merges (malformed, or a symbol not in the vocabulary)");
  }
  return model;
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::encode(std::string_view text, std::vector<int32_t>* out) const {
  for (std::string_view piece : pre_->split(text)) encode_piece(piece, out);
}

void BpeModel::encode_piece(std::string_view bytes, std::vector<int32_t>* out) const {
  if (bytes.size() == 1) {
    const int32_t id = byte_token_[static_cast<uint8_t>(bytes[0])];
    if (id >= 0) out->push_back(id);
    return;
  }
  if (pre_->ignore_merges()) {
    std::string mapped;
    gpt2_bytes_to_unicode(bytes, &mapped);
    const auto it = token_to_id_.find(mapped);
    if (it != token_to_id_.end()) {
      out->push_back(it->second);
      return;
    }
  }

  const auto n = static_cast<int32_t>(bytes.size());
  std::vector<Symbol> symbols(bytes.size());
  for (int32_t i = 0; i < n; ++i) {
    symbols[i] = {byte_token_[static_cast<uint8_t>(bytes[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::priority_queue<Candidate, std::vector<Candidate>, LaterCandidate> queue;
  auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t left_id = symbols[left].id;
    const int32_t right_id = symbols[right].id;
    if (const Merge* merge = find_merge(left_id, right_id)) {
      queue.push({merge->rank, left, right, left_id, right_id, merge->result});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i, i + 1);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& left = symbols[c.left];
    Symbol& right = symbols[c.right];
    // Stale unless both sides are still adjacent and unchanged (a merged-away
    // symbol gets id -2, and a symbol's id changes whenever it grows).
    if (left.next != c.right || left.id != c.left_id || right.id != c.right_id) continue;
    left.id = c.result;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = c.left;
    right.id = -2;
    consider(left.prev, c.left);
    consider(c.left, left.next);
  }

  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    if (symbols[i].id >= 0) out->push_back(symbols[i].id);
  }
}

std::string BpeModel::piece_to_bytes(std::string_view piece) {
  std::string bytes;
  gpt2_unicode_to_bytes(piece, &bytes);
  return bytes;
}

}  // namespace impetus
