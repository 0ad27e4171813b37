#include "engine/generator.h"

#include <chrono>

#include "sampling/sampler.h"
#include "tokenizer/stream_detokenizer.h"

namespace impetus {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Generator::Generator(Model& model, const Tokenizer& tokenizer, KvCache& cache, BlockPool& pool)
    : model_(model), tokenizer_(tokenizer), cache_(cache), pool_(pool) {}

StatusOr<GenerationResult> Generator::generate(
    const std::vector<int32_t>& prompt, const GenerationOptions& options,
    const std::function<void(std::string_view)>& on_text) {
  if (prompt.empty()) return invalid_argument("the prompt has no tokens");
  if (options.n_batch <= 0) return invalid_argument("n_batch must be positive");
  const int32_t n_vocab = model_.config().n_vocab;
  IMP_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(options.sampling, n_vocab));
  for (int32_t t : prompt) {
    if (t < 0 || t >= n_vocab) return out_of_range("prompt token outside the vocabulary");
    sampler.accept(t);
  }
  const int64_t max_ctx = static_cast<int64_t>(cache_.n_blocks()) * cache_.block_size();
  if (static_cast<int64_t>(prompt.size()) > max_ctx) {
    return out_of_range("the prompt (" + std::to_string(prompt.size()) +
                        " tokens) does not fit in the context (" + std::to_string(max_ctx) + ")");
  }
  BlockTable table(pool_, cache_.block_size());
  GenerationResult result;
  std::vector<float> logits;
  auto t0 = std::chrono::steady_clock::now();
  // Prompt, in chunks; logits only for its last token.
  for (size_t start = 0; start < prompt.size(); start += static_cast<size_t>(options.n_batch)) {
    const size_t end = std::min(prompt.size(), start + static_cast<size_t>(options.n_batch));
    IMP_RETURN_IF_ERROR(table.reserve(static_cast<int64_t>(end)));
    ForwardBatch batch;
    batch.info.block_size = cache_.block_size();
    batch.info.block_tables = {table.blocks()};
    for (size_t i = start; i < end; ++i) {
      batch.add(prompt[i], static_cast<int32_t>(i), 0, i + 1 == prompt.size());
    }
    IMP_RETURN_IF_ERROR(model_.forward(batch, cache_, &logits));
  }
  result.prompt_ms = ms_since(t0);
  t0 = std::chrono::steady_clock::now();
  StreamDetokenizer detok(tokenizer_);
  auto emit = [&](const std::string& piece) {
    if (piece.empty()) return;
    result.text += piece;
    if (on_text) on_text(piece);
  };
  int64_t pos = static_cast<int64_t>(prompt.size());
  result.finish_reason = "length";
  while (options.n_predict < 0 || static_cast<int32_t>(result.ids.size()) < options.n_predict) {
    const int32_t token = sampler.sample(logits.data());
    sampler.accept(token);
    if (!options.ignore_eos && tokenizer_.is_eog(token)) {
      result.finish_reason = "stop";
      break;
    }
    result.ids.push_back(token);
    emit(detok.push(token));
    if (pos >= max_ctx) break;  // context full
    if (options.n_predict >= 0 && static_cast<int32_t>(result.ids.size()) >= options.n_predict) break;
    IMP_RETURN_IF_ERROR(table.reserve(pos + 1));
    ForwardBatch batch;
    batch.info.block_size = cache_.block_size();
    batch.info.block_tables = {table.blocks()};
    batch.add(token, static_cast<int32_t>(pos), 0, true);
    IMP_RETURN_IF_ERROR(model_.forward(batch, cache_, &logits));
    ++pos;
  }
  emit(detok.flush());
  result.gen_ms = ms_since(t0);
  return result;
}

}  // namespace impetus
