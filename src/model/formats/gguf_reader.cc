#include "model/formats/gguf_reader.h"

#include <limits>

#include "model/formats/byte_reader.h"

namespace impetus {
namespace {

constexpr uint64_t kMaxStringLen = 1ull << 30;   // 1 GiB: far above any real key or template
constexpr int kMaxArrayDepth = 4;                // arrays of arrays of ...
constexpr uint64_t kMaxElemsPerArray = 1ull << 28;

// Smallest number of bytes one element of `type` occupies in the file; used
// to reject counts that cannot possibly fit in the remaining bytes.
uint64_t min_encoded_size(GgufType type) {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool: return 1;
    case GgufType::kUint16:
    case GgufType::kInt16: return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32: return 4;
    case GgufType::kString: return 8;
    case GgufType::kArray: return 12;
    default: return 8;
  }
}

template <typename T>
Status read_scalar(ByteReader& r, GgufValue* v, const char* what) {
  T x{};
  IMP_RETURN_IF_ERROR(r.read(&x, what));
  if constexpr (std::is_floating_point_v<T>) {
    v->f = static_cast<double>(x);
  } else if constexpr (std::is_signed_v<T>) {
    v->i = static_cast<int64_t>(x);
  } else {
    v->u = static_cast<uint64_t>(x);
  }
  return ok_status();
}

Status read_value(ByteReader& r, GgufType type, GgufValue* v, int depth);

Status read_array(ByteReader& r, GgufValue* v, int depth) {
  if (depth >= kMaxArrayDepth) return data_loss("arrays nested too deeply");
  uint32_t raw_elem = 0;
  IMP_RETURN_IF_ERROR(r.read(&raw_elem, "array element type"));
  if (!gguf_type_is_valid(raw_elem)) {
    return data_loss("unknown array element type " + std::to_string(raw_elem));
  }
  v->elem_type = static_cast<GgufType>(raw_elem);
  uint64_t n = 0;
  IMP_RETURN_IF_ERROR(r.read(&n, "array length"));
  if (n > kMaxElemsPerArray || n > r.remaining() / min_encoded_size(v->elem_type)) {
    return data_loss("array length " + std::to_string(n) + " does not fit in the " +
                     std::to_string(r.remaining()) + " bytes left");
  }
  v->array.resize(static_cast<size_t>(n));
  for (auto& e : v->array) IMP_RETURN_IF_ERROR(read_value(r, v->elem_type, &e, depth + 1));
  return ok_status();
}

Status read_value(ByteReader& r, GgufType type, GgufValue* v, int depth) {
  v->type = type;
  switch (type) {
    case GgufType::kUint8: return read_scalar<uint8_t>(r, v, "u8 value");
    case GgufType::kInt8: return read_scalar<int8_t>(r, v, "i8 value");
    case GgufType::kUint16: return read_scalar<uint16_t>(r, v, "u16 value");
    case GgufType::kInt16: return read_scalar<int16_t>(r, v, "i16 value");
    case GgufType::kUint32: return read_scalar<uint32_t>(r, v, "u32 value");
    case GgufType::kInt32: return read_scalar<int32_t>(r, v, "i32 value");
    case GgufType::kFloat32: return read_scalar<float>(r, v, "f32 value");
    case GgufType::kUint64: return read_scalar<uint64_t>(r, v, "u64 value");
    case GgufType::kInt64: return read_scalar<int64_t>(r, v, "i64 value");
    case GgufType::kFloat64: return read_scalar<double>(r, v, "f64 value");
    case GgufType::kBool: {
      uint8_t b = 0;
      IMP_RETURN_IF_ERROR(r.read(&b, "bool value"));
      if (b > 1) return data_loss("bool value " + std::to_string(b) + " is neither 0 nor 1");
      v->u = b;
      return ok_status();
    }
    case GgufType::kString: return r.read_string(&v->str, "string value", kMaxStringLen);
    case GgufType::kArray: return read_array(r, v, depth);
  }
  return data_loss("unknown value type");
}

// a * b with overflow detection (both non-negative).
bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

Status read_tensor_info(ByteReader& r, GgufTensorInfo* t) {
  IMP_RETURN_IF_ERROR(r.read_string(&t->name, "tensor name", 1024));
  uint32_t n_dims = 0;
  IMP_RETURN_IF_ERROR(r.read(&n_dims, "tensor dimension count"));
  if (n_dims == 0 || n_dims > static_cast<uint32_t>(kGgufMaxDims)) {
    return data_loss("tensor '" + t->name + "' has " + std::to_string(n_dims) +
                     " dimensions (1 to 4 allowed)");
  }
  t->n_dims = static_cast<int>(n_dims);
  uint64_t n_elems = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t ne = 0;
    IMP_RETURN_IF_ERROR(r.read(&ne, "tensor dimension"));
    if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        mul_overflows(n_elems, ne, &n_elems) ||
        n_elems > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return data_loss("tensor '" + t->name + "' has an absurd shape (element count overflows)");
    }
    t->ne[d] = static_cast<int64_t>(ne);
  }
  uint32_t raw_type = 0;
  IMP_RETURN_IF_ERROR(r.read(&raw_type, "tensor type"));
  auto info = dtype_info(raw_type);
  if (!info) {
    return data_loss("tensor '" + t->name + "' has unknown type " + std::to_string(raw_type));
  }
  t->type = info->type;
  if (t->ne[0] % info->block_size != 0) {
    return data_loss("tensor '" + t->name + "' row of " + std::to_string(t->ne[0]) +
                     " elements is not a multiple of the " + info->name + " block size");
  }
  uint64_t n_blocks = n_elems / static_cast<uint64_t>(info->block_size);
  if (mul_overflows(n_blocks, static_cast<uint64_t>(info->type_size), &t->n_bytes)) {
    return data_loss("tensor '" + t->name + "' byte size overflows");
  }
  return r.read(&t->offset, "tensor offset");
}

}  // namespace

StatusOr<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path, FileLoadMode mode) {
  IMP_ASSIGN_OR_RETURN(auto mapping, MappedFile::open(path, mode));
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->bytes_ = mapping->bytes();
  f->mapping_ = std::move(mapping);
  f->path_ = path;
  Status s = f->parse_all();
  if (!s.ok()) return s.with_context("'" + path + "' is not a valid GGUF file");
  return f;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->bytes_ = bytes;
  Status s = f->parse_all();
  if (!s.ok()) return s.with_context("not a valid GGUF file");
  return f;
}

Status GgufFile::parse_all() {
  ByteReader r(bytes_);
  uint32_t magic = 0;
  IMP_RETURN_IF_ERROR(r.read(&magic, "magic"));
  if (magic != kGgufMagic) return data_loss("bad magic (expected 'GGUF')");
  IMP_RETURN_IF_ERROR(r.read(&version_, "version"));
  if (version_ == 1) return unimplemented("GGUF version 1 is not supported (convert to v3)");
  if (version_ != 2 && version_ != 3) {
    return data_loss("unsupported GGUF version " + std::to_string(version_));
  }
  uint64_t n_tensors = 0, n_kv = 0;
  IMP_RETURN_IF_ERROR(r.read(&n_tensors, "tensor count"));
  IMP_RETURN_IF_ERROR(r.read(&n_kv, "metadata count"));
  // A key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes; a tensor info at
  // least 8 + 4 + 8 + 4 + 8.
  if (n_kv > r.remaining() / 13) {
    return data_loss("metadata count " + std::to_string(n_kv) + " cannot fit in the file");
  }
  if (n_tensors > r.remaining() / 32) {
    return data_loss("tensor count " + std::to_string(n_tensors) + " cannot fit in the file");
  }
  kvs_.resize(static_cast<size_t>(n_kv));
  for (size_t k = 0; k < kvs_.size(); ++k) {
    auto& kv = kvs_[k];
    IMP_RETURN_IF_ERROR(r.read_string(&kv.key, "metadata key", 65535));
    uint32_t raw_type = 0;
    IMP_RETURN_IF_ERROR(r.read(&raw_type, "metadata value type"));
    if (!gguf_type_is_valid(raw_type)) {
      return data_loss("metadata key '" + kv.key + "' has unknown value type " +
                       std::to_string(raw_type));
    }
    Status s = read_value(r, static_cast<GgufType>(raw_type), &kv.value, 0);
    if (!s.ok()) return s.with_context("metadata key '" + kv.key + "'");
    if (!kv_index_.emplace(kv.key, k).second) {
      return data_loss("duplicate metadata key '" + kv.key + "'");
    }
  }
  if (const GgufValue* a = find("general.alignment")) {
    auto v = a->as_int();
    if (!v.ok() || *v <= 0 || *v > (1 << 20) || (*v & (*v - 1)) != 0) {
      return data_loss("general.alignment must be a power of two up to 1 MiB");
    }
    alignment_ = static_cast<uint64_t>(*v);
  }
  tensors_.resize(static_cast<size_t>(n_tensors));
  for (size_t i = 0; i < tensors_.size(); ++i) {
    IMP_RETURN_IF_ERROR(read_tensor_info(r, &tensors_[i]));
    if (!tensor_index_.emplace(tensors_[i].name, i).second) {
      return data_loss("duplicate tensor name '" + tensors_[i].name + "'");
    }
  }
  const uint64_t pos = r.position();
  data_offset_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  if (!tensors_.empty() && data_offset_ > bytes_.size()) {
    return data_loss("file truncated before the tensor data section");
  }
  const uint64_t data_size = bytes_.size() - std::min<uint64_t>(data_offset_, bytes_.size());
  for (auto& t : tensors_) {
    if (t.offset % alignment_ != 0) {
      return data_loss("tensor '" + t.name + "' offset " + std::to_string(t.offset) +
                       " is not aligned to " + std::to_string(alignment_));
    }
    if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
      return data_loss("tensor '" + t.name + "' data (offset " + std::to_string(t.offset) +
                       ", " + std::to_string(t.n_bytes) + " bytes) lies past the end of the file");
    }
    t.data = bytes_.data() + data_offset_ + t.offset;
  }
  return ok_status();
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace impetus
