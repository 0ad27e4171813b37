// GgufWriter: builds a GGUF v3 file from metadata and tensors. Used by the
// tests to write tiny models and by `impetus quantize`.
//
//   GgufWriter w;
//   w.set("general.architecture", GgufValue::make_string("llama"));
//   w.add_tensor("token_embd.weight", DType::kF32, {64, 512}, bytes);
//   IMP_RETURN_IF_ERROR(w.write_file("model.gguf"));
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/formats/gguf_value.h"
#include "tensor/dtype.h"

namespace impetus {

class GgufWriter {
 public:
  explicit GgufWriter(uint64_t alignment = 32) : alignment_(alignment) {}

  // Sets (or replaces) a metadata value; keys keep their first insertion order.
  void set(const std::string& key, GgufValue value);
  // Adds a tensor; `ne` in ggml order (ne[0] contiguous); `data` must hold
  // exactly the tensor's byte size for `type`.
  Status add_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                    std::vector<uint8_t> data);
  // Adds a tensor whose bytes are produced only while the file is written,
  // so models larger than memory can be written: fill(dst) must write all
  // dtype_row_bytes(type, ne[0]) * rows bytes.
  using Filler = std::function<Status(uint8_t* dst)>;
  Status add_tensor_lazy(const std::string& name, DType type, const std::vector<int64_t>& ne,
                         Filler fill);
  // Same, for a float32 tensor.
  Status add_f32_tensor(const std::string& name, const std::vector<int64_t>& ne,
                        const std::vector<float>& values);

  // Serializes to bytes / writes a file (written to a temporary name, then
  // renamed into place). Lazy tensors are filled one at a time.
  StatusOr<std::vector<uint8_t>> to_bytes() const;
  Status write_file(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    DType type;
    std::vector<int64_t> ne;
    size_t n_bytes;
    std::vector<uint8_t> data;  // used when fill is empty
    Filler fill;
  };
  Status check_new_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                          size_t* n_bytes) const;
  std::vector<uint8_t> header_bytes() const;
  Status tensor_bytes(const Tensor& t, std::vector<uint8_t>* out) const;
  uint64_t alignment_;
  std::vector<std::pair<std::string, GgufValue>> kvs_;
  std::vector<Tensor> tensors_;
};

}  // namespace impetus
