// WeightSource: looks up model tensors by name in a GGUF file and checks
// their shape and type before anything uses them, so a model file with a
// missing or mis-shaped tensor is a clear error instead of a wrong read.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "core/status.h"
#include "model/formats/gguf_reader.h"
#include "tensor/tensor_view.h"

namespace impetus {

class WeightSource {
 public:
  explicit WeightSource(const GgufFile& gguf) : gguf_(gguf) {}

  // The tensor `name` with exactly the shape `ne` (ggml order; trailing 1s
  // may be omitted in the file). NOT_FOUND when missing, INVALID_ARGUMENT
  // when the shape differs or the type cannot be computed with.
  StatusOr<TensorView> require(const std::string& name, std::array<int64_t, 2> ne) const;
  // Same, but an absent tensor is not an error.
  StatusOr<std::optional<TensorView>> optional(const std::string& name,
                                               std::array<int64_t, 2> ne) const;
  bool has(const std::string& name) const { return gguf_.find_tensor(name) != nullptr; }

 private:
  const GgufFile& gguf_;
};

}  // namespace impetus
