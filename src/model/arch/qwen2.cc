// qwen2: Qwen2 / Qwen2.5 (and Qwen2.5-Coder). Biases on q, k and v; NeoX
// rope; the output matrix is often tied to the token embedding.
#include "model/arch/arch.h"

namespace impetus {
namespace {

Status load_qwen2_layer(LayerLoader& loader, int il, LayerWeights* w) {
  IMP_RETURN_IF_ERROR(loader.attention(il, w));
  IMP_RETURN_IF_ERROR(loader.attention_biases(il, w, /*required=*/true));
  return loader.swiglu_ffn(il, w);
}

}  // namespace

const ArchFamily& qwen2_family() {
  static const ArchFamily family{"qwen2", RopeMode::kNeox, &load_qwen2_layer};
  return family;
}

}  // namespace impetus
