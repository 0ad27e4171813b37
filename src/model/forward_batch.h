// ForwardBatch: one call of the forward pass: tokens from any number of
// sequences (each with its position and block table, see BatchInfo) and the
// tokens whose logits are wanted. A single sequence is a batch of one.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/batch_info.h"

namespace impetus {

struct ForwardBatch {
  std::vector<int32_t> tokens;       // (n_tokens) token ids
  BatchInfo info;                    // positions, sequence of each token, block tables
  std::vector<int32_t> output_rows;  // indices into tokens whose logits are returned, in order

  int64_t n_tokens() const { return static_cast<int64_t>(tokens.size()); }
  // Appends one token of sequence `seq` at position `pos`.
  void add(int32_t token, int32_t pos, int32_t seq, bool want_logits) {
    if (want_logits) output_rows.push_back(static_cast<int32_t>(tokens.size()));
    tokens.push_back(token);
    info.positions.push_back(pos);
    info.seq_of_token.push_back(seq);
  }
};

}  // namespace impetus
