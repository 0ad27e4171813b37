// qwen3: Qwen3 dense models. No attention biases; a per-head RMSNorm on q and
// k before rope; NeoX rope; head size from attention.key_length.
#include "model/arch/arch.h"

namespace impetus {
namespace {

Status load_qwen3_layer(LayerLoader& loader, int il, LayerWeights* w) {
  IMP_RETURN_IF_ERROR(loader.attention(il, w));
  IMP_RETURN_IF_ERROR(loader.qk_norm(il, w));
  return loader.swiglu_ffn(il, w);
}

}  // namespace

const ArchFamily& qwen3_family() {
  static const ArchFamily family{"qwen3", RopeMode::kNeox, &load_qwen3_layer};
  return family;
}

}  // namespace impetus
