// BatchInfo: the plain-data description of one forward batch that the
// attention and KV-cache ops need: for every token its position and
// sequence, and for every sequence its block table into the paged KV cache.
//
// A token at position p of sequence s stores its keys/values in cache slot
//   block_tables[s][p / block_size] * block_size + p % block_size
// and attends (causally) to positions 0..p of s, wherever they are cached.
#pragma once

#include <cstdint>
#include <vector>

namespace impetus {

struct BatchInfo {
  int32_t block_size = 16;                       // tokens per KV block
  std::vector<int32_t> positions;                // (n_tokens) position in its sequence
  std::vector<int32_t> seq_of_token;             // (n_tokens) index into block_tables
  std::vector<std::vector<int32_t>> block_tables;  // (n_seqs, blocks) KV block ids per sequence

  int64_t n_tokens() const { return static_cast<int64_t>(positions.size()); }
  // Cache slot of position `pos` of sequence `seq`.
  int64_t slot(int32_t seq, int32_t pos) const {
    return static_cast<int64_t>(block_tables[seq][pos / block_size]) * block_size + pos % block_size;
  }
};

}  // namespace impetus
