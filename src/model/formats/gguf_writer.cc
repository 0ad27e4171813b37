#include "model/formats/gguf_writer.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "model/formats/gguf_reader.h"

namespace impetus {
namespace {

class ByteSink {
 public:
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void pad_to(uint64_t alignment) {
    while (out_.size() % alignment != 0) out_.push_back(0);
  }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  std::vector<uint8_t> out_;
};

void put_value(ByteSink& s, const GgufValue& v) {
  switch (v.type) {
    case GgufType::kUint8: s.put<uint8_t>(static_cast<uint8_t>(v.u)); break;
    case GgufType::kInt8: s.put<int8_t>(static_cast<int8_t>(v.i)); break;
    case GgufType::kUint16: s.put<uint16_t>(static_cast<uint16_t>(v.u)); break;
    case GgufType::kInt16: s.put<int16_t>(static_cast<int16_t>(v.i)); break;
    case GgufType::kUint32: s.put<uint32_t>(static_cast<uint32_t>(v.u)); break;
    case GgufType::kInt32: s.put<int32_t>(static_cast<int32_t>(v.i)); break;
    case GgufType::kFloat32: s.put<float>(static_cast<float>(v.f)); break;
    case GgufType::kBool: s.put<uint8_t>(v.u ? 1 : 0); break;
    case GgufType::kString: s.put_string(v.str); break;
    case GgufType::kUint64: s.put<uint64_t>(v.u); break;
    case GgufType::kInt64: s.put<int64_t>(v.i); break;
    case GgufType::kFloat64: s.put<double>(v.f); break;
    case GgufType::kArray:
      s.put<uint32_t>(static_cast<uint32_t>(v.elem_type));
      s.put<uint64_t>(v.array.size());
      for (const auto& e : v.array) put_value(s, e);
      break;
  }
}

size_t padded(size_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
  for (auto& kv : kvs_) {
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  }
  kvs_.emplace_back(key, std::move(value));
}

Status GgufWriter::check_new_tensor(const std::string& name, DType type,
                                    const std::vector<int64_t>& ne, size_t* n_bytes) const {
  if (ne.empty() || ne.size() > static_cast<size_t>(kGgufMaxDims)) {
    return invalid_argument("tensor '" + name + "' must have 1 to 4 dimensions");
  }
  int64_t n = 1;
  for (int64_t d : ne) {
    if (d < 0) return invalid_argument("tensor '" + name + "' has a negative dimension");
    n *= d;
  }
  const auto& info = dtype_info(type);
  if (ne[0] % info.block_size != 0) {
    return invalid_argument("tensor '" + name + "' row is not a multiple of the block size");
  }
  for (const auto& t : tensors_) {
    if (t.name == name) return invalid_argument("duplicate tensor '" + name + "'");
  }
  *n_bytes = static_cast<size_t>(n / info.block_size * info.type_size);
  return ok_status();
}

Status GgufWriter::add_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                              std::vector<uint8_t> data) {
  size_t n_bytes = 0;
  IMP_RETURN_IF_ERROR(check_new_tensor(name, type, ne, &n_bytes));
  if (data.size() != n_bytes) {
    return invalid_argument("tensor '" + name + "' has " + std::to_string(data.size()) +
                            " bytes, expected " + std::to_string(n_bytes));
  }
  tensors_.push_back({name, type, ne, n_bytes, std::move(data), nullptr});
  return ok_status();
}

Status GgufWriter::add_tensor_lazy(const std::string& name, DType type,
                                   const std::vector<int64_t>& ne, Filler fill) {
  size_t n_bytes = 0;
  IMP_RETURN_IF_ERROR(check_new_tensor(name, type, ne, &n_bytes));
  tensors_.push_back({name, type, ne, n_bytes, {}, std::move(fill)});
  return ok_status();
}

Status GgufWriter::add_f32_tensor(const std::string& name, const std::vector<int64_t>& ne,
                                  const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return add_tensor(name, DType::kF32, ne, std::move(bytes));
}

std::vector<uint8_t> GgufWriter::header_bytes() const {
  ByteSink s;
  s.put<uint32_t>(kGgufMagic);
  s.put<uint32_t>(3);
  s.put<uint64_t>(tensors_.size());
  const bool custom_alignment = alignment_ != kGgufDefaultAlignment;
  s.put<uint64_t>(kvs_.size() + (custom_alignment ? 1 : 0));
  for (const auto& [key, value] : kvs_) {
    s.put_string(key);
    s.put<uint32_t>(static_cast<uint32_t>(value.type));
    put_value(s, value);
  }
  if (custom_alignment) {
    s.put_string("general.alignment");
    s.put<uint32_t>(static_cast<uint32_t>(GgufType::kUint32));
    s.put<uint32_t>(static_cast<uint32_t>(alignment_));
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    s.put_string(t.name);
    s.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) s.put<uint64_t>(static_cast<uint64_t>(d));
    s.put<uint32_t>(static_cast<uint32_t>(t.type));
    s.put<uint64_t>(offset);
    offset += padded(t.n_bytes, alignment_);
  }
  s.pad_to(alignment_);
  return s.take();
}

Status GgufWriter::tensor_bytes(const Tensor& t, std::vector<uint8_t>* out) const {
  out->assign(padded(t.n_bytes, alignment_), 0);
  if (t.fill) return t.fill(out->data());
  std::memcpy(out->data(), t.data.data(), t.n_bytes);
  return ok_status();
}

StatusOr<std::vector<uint8_t>> GgufWriter::to_bytes() const {
  std::vector<uint8_t> out = header_bytes();
  std::vector<uint8_t> buf;
  for (const auto& t : tensors_) {
    IMP_RETURN_IF_ERROR(tensor_bytes(t, &buf));
    out.insert(out.end(), buf.begin(), buf.end());
  }
  return out;
}

Status GgufWriter::write_file(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return invalid_argument("cannot create '" + tmp + "'");
    auto write = [&](const std::vector<uint8_t>& b) {
      out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    };
    write(header_bytes());
    std::vector<uint8_t> buf;
    for (const auto& t : tensors_) {
      Status s = tensor_bytes(t, &buf);
      if (!s.ok()) {
        out.close();
        std::filesystem::remove(tmp);
        return s;
      }
      write(buf);
    }
    if (!out) {
      std::filesystem::remove(tmp);
      return resource_exhausted("cannot write '" + tmp + "' (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return invalid_argument("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  return ok_status();
}

}  // namespace impetus
