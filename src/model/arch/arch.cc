#include "model/arch/arch.h"

#include <array>

namespace impetus {
namespace {

std::array<const ArchFamily*, 3> all_families() {
  return {&llama_family(), &qwen2_family(), &qwen3_family()};
}

}  // namespace

const ArchFamily* find_arch_family(std::string_view name) {
  for (const ArchFamily* f : all_families()) {
    if (name == f->name) return f;
  }
  return nullptr;
}

std::string supported_arch_names() {
  std::string s;
  for (const ArchFamily* f : all_families()) {
    if (!s.empty()) s += ", ";
    s += f->name;
  }
  return s;
}

}  // namespace impetus
