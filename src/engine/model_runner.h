// ModelRunner: executes a StepPlan: builds one ForwardBatch from the planned
// tokens of every sequence (with their block tables), runs the model, and
// samples the next token of each sequence whose step ends its pending tokens.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/request.h"
#include "engine/scheduler.h"
#include "model/kv_cache.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace impetus {

struct SampledToken {
  Sequence* seq = nullptr;
  int32_t token = -1;
  TokenLogprobs logprobs;  // filled when the request asked for them
};

struct StepResult {
  std::vector<SampledToken> sampled;
  int32_t n_tokens = 0;  // tokens that went through the model
};

class ModelRunner {
 public:
  ModelRunner(Model& model, const Tokenizer& tokenizer, KvCache& cache)
      : model_(model), tokenizer_(tokenizer), cache_(cache) {}

  StatusOr<StepResult> execute(const StepPlan& plan);

 private:
  Model& model_;
  const Tokenizer& tokenizer_;
  KvCache& cache_;
  std::vector<float> logits_;
  std::vector<int32_t> ids_;
};

}  // namespace impetus
