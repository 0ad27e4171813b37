// Architecture families. Each family (one file in this folder) says which
// rope layout it uses and which tensors each layer must or may have; the
// forward pass itself is shared (model/transformer.cc) and adapts to the
// tensors present.
#pragma once

#include <string_view>

#include "backend/backend.h"
#include "model/arch/layer_loader.h"

namespace impetus {

struct ArchFamily {
  const char* name;    // general.architecture value
  RopeMode rope_mode;
  // Loads layer `il`, requiring exactly the tensors this family has.
  Status (*load_layer)(LayerLoader& loader, int il, LayerWeights* w);
};

// The family for a general.architecture value, or nullptr if unsupported.
const ArchFamily* find_arch_family(std::string_view name);
// "llama, qwen2, qwen3" for error messages.
std::string supported_arch_names();

const ArchFamily& llama_family();
const ArchFamily& qwen2_family();
const ArchFamily& qwen3_family();

}  // namespace impetus
