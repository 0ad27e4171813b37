#include "engine/scheduler.h"

#include <algorithm>

namespace impetus {

Scheduler::Scheduler(BlockPool& pool, int32_t block_size, const SchedulerOptions& options)
    : pool_(pool), block_size_(block_size), options_(options) {}

void Scheduler::add(std::unique_ptr<Sequence> seq) {
  seq->arrival = next_arrival_++;
  waiting_.push_back(std::move(seq));
}

Sequence* Scheduler::find(RequestId id) {
  for (auto& s : running_) {
    if (s->id == id) return s.get();
  }
  for (auto& s : waiting_) {
    if (s->id == id) return s.get();
  }
  return nullptr;
}

std::vector<RequestId> Scheduler::ids() const {
  std::vector<RequestId> out;
  for (const auto& s : running_) out.push_back(s->id);
  for (const auto& s : waiting_) out.push_back(s->id);
  return out;
}

std::unique_ptr<Sequence> Scheduler::remove(RequestId id) {
  std::unique_ptr<Sequence> out;
  auto take = [&](auto& list) {
    for (auto it = list.begin(); it != list.end(); ++it) {
      if ((*it)->id == id) {
        out = std::move(*it);
        list.erase(it);
        return true;
      }
    }
    return false;
  };
  if (!take(running_)) take(waiting_);
  if (out) out->blocks.clear();
  return out;
}

std::vector<std::unique_ptr<Sequence>> Scheduler::take_failed() { return std::move(failed_); }

void Scheduler::match_prefix(Sequence& s) {
  const int32_t bs = block_size_;
  // Leave at least one token to compute: its logits give the next token.
  const int32_t max_blocks = (static_cast<int32_t>(s.tokens.size()) - 1) / bs;
  uint64_t parent = 0;
  int32_t i = 0;
  for (; i < max_blocks; ++i) {
    const int32_t* toks = s.tokens.data() + static_cast<size_t>(i) * bs;
    const uint64_t h = hash_block(parent, toks, bs);
    auto b = pool_.lookup(h, parent, toks, bs);
    if (!b) break;
    s.blocks.append(*b);
    parent = h;
  }
  s.n_computed = i * bs;
  s.n_hashed = i;
  s.chain_hash = parent;
  const int32_t reused_prompt = std::min(s.n_computed, s.n_prompt);
  if (s.n_preemptions == 0) s.n_cached_prompt = reused_prompt;
  n_reused_tokens_ += static_cast<uint64_t>(reused_prompt);
}

void Scheduler::commit_blocks(Sequence& s) {
  const int32_t bs = block_size_;
  const auto& table = s.blocks.blocks();
  while ((s.n_hashed + 1) * bs <= s.n_computed && s.n_hashed < static_cast<int32_t>(table.size())) {
    const int32_t* toks = s.tokens.data() + static_cast<size_t>(s.n_hashed) * bs;
    const uint64_t h = hash_block(s.chain_hash, toks, bs);
    pool_.register_block(table[static_cast<size_t>(s.n_hashed)], h, s.chain_hash, toks, bs);
    s.chain_hash = h;
    ++s.n_hashed;
  }
}

void Scheduler::admit() {
  while (!waiting_.empty() && static_cast<int32_t>(running_.size()) < options_.max_running) {
    Sequence& s = *waiting_.front();
    const int64_t first_chunk = std::min(s.n_pending(), options_.max_batch_tokens);
    // Room for the first chunk and one more block, or everything is idle (then it must try).
    const int64_t free_tokens = static_cast<int64_t>(pool_.n_free()) * block_size_;
    if (!running_.empty() && free_tokens < first_chunk + block_size_) break;
    if (s.n_computed == 0 && s.blocks.blocks().empty()) match_prefix(s);
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
  }
  std::sort(running_.begin(), running_.end(),
            [](const auto& a, const auto& b) { return a->arrival < b->arrival; });
}

void Scheduler::preempt(Sequence& s) {
  s.blocks.clear();
  s.n_computed = 0;
  s.n_hashed = 0;
  s.chain_hash = 0;
  ++s.n_preemptions;
  ++n_preemptions_;
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (it->get() == &s) {
      waiting_.push_front(std::move(*it));
      running_.erase(it);
      return;
    }
  }
}

bool Scheduler::reserve(Sequence& s, int32_t n_tokens, const std::vector<Sequence*>& in_step) {
  for (;;) {
    if (s.blocks.reserve(n_tokens).ok()) return true;
    // Out of blocks: preempt the newest sequence that is not part of this step.
    Sequence* victim = nullptr;
    for (auto it = running_.rbegin(); it != running_.rend(); ++it) {
      Sequence* cand = it->get();
      if (cand == &s || std::find(in_step.begin(), in_step.end(), cand) != in_step.end()) continue;
      victim = cand;
      break;
    }
    if (victim != nullptr && victim->arrival > s.arrival) {
      preempt(*victim);  // newer sequences give way to older ones
      continue;
    }
    if (victim == nullptr && in_step.empty()) {
      // Alone and still no room: the sequence can never fit in this cache.
      for (auto it = running_.begin(); it != running_.end(); ++it) {
        if (it->get() == &s) {
          (*it)->blocks.clear();
          failed_.push_back(std::move(*it));
          running_.erase(it);
          break;
        }
      }
      return false;
    }
    preempt(s);  // older sequences hold the blocks: this one waits its turn
    return false;
  }
}

StepPlan Scheduler::schedule() {
  admit();
  StepPlan plan;
  int32_t budget = options_.max_batch_tokens;
  std::vector<Sequence*> order;
  for (auto& s : running_) {
    if (s->n_pending() == 1) order.push_back(s.get());  // decoding: one token each, first
  }
  for (auto& s : running_) {
    if (s->n_pending() > 1) order.push_back(s.get());  // prompts (or recomputes), in chunks
  }
  std::vector<Sequence*> in_step;
  for (Sequence* s : order) {
    if (budget <= 0) break;
    // A sequence preempted earlier in this loop is no longer running.
    if (std::none_of(running_.begin(), running_.end(), [s](const auto& r) { return r.get() == s; })) {
      continue;
    }
    const int32_t n = std::min(s->n_pending(), budget);
    if (!reserve(*s, s->n_computed + n, in_step)) continue;
    plan.seqs.push_back({s, s->n_computed, n, s->n_computed + n == static_cast<int32_t>(s->tokens.size())});
    in_step.push_back(s);
    budget -= n;
  }
  return plan;
}

}  // namespace impetus
