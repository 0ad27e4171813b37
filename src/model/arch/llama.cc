// llama: Llama 2/3.x, Mistral, TinyLlama, SmolLM and other models converted
// as "llama". Normal (adjacent-pair) rope over the converter-permuted q/k
// weights; biases are optional (some fine-tunes carry them).
#include "model/arch/arch.h"

namespace impetus {
namespace {

Status load_llama_layer(LayerLoader& loader, int il, LayerWeights* w) {
  IMP_RETURN_IF_ERROR(loader.attention(il, w));
  IMP_RETURN_IF_ERROR(loader.attention_biases(il, w, /*required=*/false));
  return loader.swiglu_ffn(il, w);
}

}  // namespace

const ArchFamily& llama_family() {
  static const ArchFamily family{"llama", RopeMode::kNormal, &load_llama_layer};
  return family;
}

}  // namespace impetus
