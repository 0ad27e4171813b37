// GgufFile: a parsed GGUF file (versions 2 and 3) over a read-only memory map.
// Metadata is decoded into GgufValues; tensor data is never copied: each
// GgufTensorInfo points into the mapping (a zero-copy TensorView).
//
// Every count, size and offset read from the file is validated (with
// overflow checks) before use, so a truncated, corrupted or hostile file
// yields a DATA_LOSS / INVALID_ARGUMENT status naming the problem, never a
// crash or an out-of-bounds read.
//
//   IMP_ASSIGN_OR_RETURN(auto gguf, GgufFile::open("model.gguf"));
//   const GgufValue* arch = gguf->find("general.architecture");
//   const GgufTensorInfo* t = gguf->find_tensor("token_embd.weight");
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"
#include "model/formats/gguf_value.h"
#include "tensor/tensor_view.h"

namespace impetus {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint64_t kGgufDefaultAlignment = 32;
constexpr int kGgufMaxDims = 4;

struct GgufTensorInfo {
  std::string name;
  int n_dims = 0;
  std::array<int64_t, 4> ne = {1, 1, 1, 1};  // ggml order: ne[0] is contiguous
  DType type = DType::kF32;
  uint64_t offset = 0;   // relative to the start of the data section
  uint64_t n_bytes = 0;  // size of the tensor data
  const uint8_t* data = nullptr;  // inside the mapping

  TensorView view() const { return TensorView{type, ne, data}; }
  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct GgufKeyValue {
  std::string key;
  GgufValue value;
};

class GgufFile {
 public:
  // Maps and parses the file at `path`.
  static StatusOr<std::unique_ptr<GgufFile>> open(const std::string& path,
                                                   FileLoadMode mode = FileLoadMode::kMmap);
  // Parses bytes the caller keeps alive for the lifetime of the result (fuzzing, tests).
  static StatusOr<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  size_t file_size() const { return bytes_.size(); }
  const std::string& path() const { return path_; }

  const std::vector<GgufKeyValue>& metadata() const { return kvs_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufValue* find(const std::string& key) const;
  const GgufTensorInfo* find_tensor(const std::string& name) const;

  // Typed look-ups: NOT_FOUND when absent, INVALID_ARGUMENT on a type mismatch.
  StatusOr<std::string> get_string(const std::string& key) const;
  StatusOr<int64_t> get_int(const std::string& key) const;
  StatusOr<double> get_float(const std::string& key) const;
  StatusOr<bool> get_bool(const std::string& key) const;
  // Defaults for optional keys (a present key of the wrong type is still an error).
  StatusOr<int64_t> get_int_or(const std::string& key, int64_t fallback) const;
  StatusOr<double> get_float_or(const std::string& key, double fallback) const;
  StatusOr<bool> get_bool_or(const std::string& key, bool fallback) const;
  StatusOr<std::string> get_string_or(const std::string& key, const std::string& fallback) const;
  StatusOr<std::vector<std::string>> get_string_array(const std::string& key) const;
  StatusOr<std::vector<float>> get_float_array(const std::string& key) const;
  StatusOr<std::vector<int64_t>> get_int_array(const std::string& key) const;

 private:
  GgufFile() = default;
  Status parse_all();

  std::unique_ptr<MappedFile> mapping_;  // null when parsed from caller-owned bytes
  std::span<const uint8_t> bytes_;
  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<GgufKeyValue> kvs_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace impetus
