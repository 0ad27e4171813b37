#include "engine/sequence.h"

namespace impetus {

Sequence::Sequence(RequestId id_, GenerationRequest request_, EventSink sink_,
                   const Tokenizer& tokenizer, BlockPool& pool, int32_t block_size, Sampler sampler_)
    : id(id_),
      request(std::move(request_)),
      sink(std::move(sink_)),
      tokens(request.prompt),
      n_prompt(static_cast<int32_t>(request.prompt.size())),
      blocks(pool, block_size),
      sampler(std::move(sampler_)),
      detok(tokenizer),
      stop(request.stop) {}

}  // namespace impetus
