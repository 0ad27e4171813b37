// Scheduler: decides, step by step, which sequences run and how many of
// their tokens go through the model (continuous batching). Plain data: it
// never touches a device; it owns the sequences and their KV blocks.
//
// Each step: every decoding sequence gets one token; prompts are processed
// in chunks with what is left of the token budget, so a long prompt never
// stalls the others; new requests join when there is room. When KV blocks
// run out, the newest sequence is preempted (its blocks freed) and later
// recomputed from its tokens: never an error.
#pragma once

#include <algorithm>

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "engine/block_pool.h"
#include "engine/sequence.h"

namespace impetus {

struct SchedulerOptions {
  int32_t max_batch_tokens = 512;  // tokens per forward step (prompt chunks + decodes)
  int32_t max_running = 64;        // sequences decoding at once
  int32_t max_context = 2048;      // tokens per sequence (prompt + generated)
};

// One sequence's share of a step: tokens [first, first + count) of its tokens.
struct ScheduledSeq {
  Sequence* seq = nullptr;
  int32_t first = 0;
  int32_t count = 0;
  bool sample = false;  // the step computes its last token: sample the next one
};

struct StepPlan {
  std::vector<ScheduledSeq> seqs;
  bool empty() const { return seqs.empty(); }
};

class Scheduler {
 public:
  Scheduler(BlockPool& pool, int32_t block_size, const SchedulerOptions& options);

  void add(std::unique_ptr<Sequence> seq);
  // Builds the next step; finishes sequences that cannot go on (see finished()).
  StepPlan schedule();
  // Removes a sequence (finished or cancelled), freeing its blocks.
  std::unique_ptr<Sequence> remove(RequestId id);
  Sequence* find(RequestId id);
  // Every sequence the scheduler holds, running or waiting.
  std::vector<RequestId> ids() const;
  // Sequences schedule() had to end (too long for the cache); the engine reports them.
  std::vector<std::unique_ptr<Sequence>> take_failed();

  // Registers the sequence's newly full, computed blocks in the prefix cache
  // (call after each step that advanced n_computed).
  void commit_blocks(Sequence& s);

  size_t n_waiting() const { return waiting_.size(); }
  size_t n_running() const { return running_.size(); }
  bool idle() const { return waiting_.empty() && running_.empty(); }
  const SchedulerOptions& options() const { return options_; }
  // From the next schedule() on (at least one block's worth of tokens).
  void set_max_batch_tokens(int32_t n) { options_.max_batch_tokens = std::max(n, block_size_); }
  uint64_t n_preemptions() const { return n_preemptions_; }
  uint64_t n_reused_tokens() const { return n_reused_tokens_; }

 private:
  bool reserve(Sequence& s, int32_t n_tokens, const std::vector<Sequence*>& in_step);
  void preempt(Sequence& s);
  void admit();
  void match_prefix(Sequence& s);

  BlockPool& pool_;
  int32_t block_size_;
  SchedulerOptions options_;
  std::deque<std::unique_ptr<Sequence>> waiting_;   // not yet admitted, oldest first
  std::vector<std::unique_ptr<Sequence>> running_;  // admitted, by arrival
  std::vector<std::unique_ptr<Sequence>> failed_;
  uint64_t next_arrival_ = 0;
  uint64_t n_preemptions_ = 0;
  uint64_t n_reused_tokens_ = 0;  // prompt tokens taken from the prefix cache
};

}  // namespace impetus
