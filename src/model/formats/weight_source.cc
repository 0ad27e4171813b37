#include "model/formats/weight_source.h"

namespace impetus {

StatusOr<TensorView> WeightSource::require(const std::string& name,
                                           std::array<int64_t, 2> ne) const {
  IMP_ASSIGN_OR_RETURN(auto t, optional(name, ne));
  if (!t) return not_found("model tensor '" + name + "' is missing");
  return *t;
}

StatusOr<std::optional<TensorView>> WeightSource::optional(const std::string& name,
                                                           std::array<int64_t, 2> ne) const {
  const GgufTensorInfo* info = gguf_.find_tensor(name);
  if (info == nullptr) return std::optional<TensorView>();
  if (info->ne[0] != ne[0] || info->ne[1] != ne[1] || info->ne[2] != 1 || info->ne[3] != 1) {
    return invalid_argument("model tensor '" + name + "' has shape [" + std::to_string(info->ne[0]) +
                            ", " + std::to_string(info->ne[1]) + "], expected [" +
                            std::to_string(ne[0]) + ", " + std::to_string(ne[1]) + "]");
  }
  if (!dtype_info(info->type).supported) {
    return unimplemented("model tensor '" + name + "' has type " +
                         std::string(dtype_name(info->type)) + ", which is not supported yet");
  }
  return std::optional<TensorView>(info->view());
}

}  // namespace impetus
