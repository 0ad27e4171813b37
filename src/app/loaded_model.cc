#include "app/loaded_model.h"

#include <algorithm>
#include <cstdio>

#include "app/backend_select.h"

namespace impetus::app {

StatusOr<LoadedModel> load_model(const LoadOptions& options) {
  LoadedModel lm;
  DeviceOptions device{options.device, options.gpu_layers, options.n_threads, std::nullopt};
  IMP_ASSIGN_OR_RETURN(lm.model,
                       load_on_devices(options.path, device, &lm.backend, &lm.host_backend));
  IMP_ASSIGN_OR_RETURN(lm.tokenizer, Tokenizer::from_gguf(lm.model->gguf()));
  const auto& cfg = lm.model->config();
  lm.n_ctx = options.n_ctx > 0 ? options.n_ctx : std::min(cfg.n_ctx_train, 4096);
  const int32_t n_blocks = (lm.n_ctx + options.block_size - 1) / options.block_size;
  IMP_ASSIGN_OR_RETURN(lm.cache, KvCache::create(*lm.model, n_blocks, options.block_size));
  lm.pool = std::make_unique<BlockPool>(n_blocks);
  return lm;
}

int report_error(const Status& status) {
  std::fprintf(stderr, "impetus: error: %s\n", status.message().c_str());
  return 1;
}

}  // namespace impetus::app
