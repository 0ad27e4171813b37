#include "model/quantizer.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "model/formats/gguf_reader.h"
#include "model/formats/gguf_writer.h"
#include "tensor/quant/quant.h"

namespace impetus {
namespace {

// llama.cpp's file_type numbers for general.file_type.
int file_type_of(const std::string& target, DType base) {
  if (target == "Q4_K_M") return 15;
  if (target == "Q5_K_M") return 17;
  switch (base) {
    case DType::kF32: return 0;
    case DType::kF16: return 1;
    case DType::kQ4_0: return 2;
    case DType::kQ4_1: return 3;
    case DType::kQ8_0: return 7;
    case DType::kQ5_0: return 8;
    case DType::kQ5_1: return 9;
    case DType::kQ4_K: return 15;
    case DType::kQ5_K: return 17;
    case DType::kQ6_K: return 18;
    case DType::kBF16: return 32;
    default: return 0;
  }
}

// Whether layer il of n gets the bigger type in a _M mix (llama.cpp's "use more bits").
bool more_bits(int il, int n) { return il < n / 8 || il >= 7 * n / 8 || (il - n / 8) % 3 == 2; }

int layer_of(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  return std::atoi(name.c_str() + 4);
}

DType choose_type(const GgufTensorInfo& t, const std::string& target, DType base, int n_layer) {
  if (t.n_dims < 2 || t.name.find("_norm") != std::string::npos) return t.type;
  DType want = base;
  const bool mix = target == "Q4_K_M" || target == "Q5_K_M";
  if (mix) {
    if (t.name == "output.weight") want = DType::kQ6_K;
    const bool big = t.name.find("attn_v.weight") != std::string::npos ||
                     t.name.find("ffn_down.weight") != std::string::npos;
    if (big && more_bits(layer_of(t.name), n_layer)) want = DType::kQ6_K;
  }
  if (t.ne[0] % dtype_block_size(want) != 0) want = DType::kF16;
  if (!can_quantize(want) || !can_dequantize(t.type)) return t.type;
  return want;
}

Status convert(const GgufTensorInfo& t, DType to, uint8_t* dst, ThreadPool& pool) {
  const int64_t cols = t.ne[0];
  const int64_t rows = t.n_elements() / std::max<int64_t>(cols, 1);
  const int64_t in_row = dtype_row_bytes(t.type, cols);
  const int64_t out_row = dtype_row_bytes(to, cols);
  pool.parallel_ranges(rows, [&](int64_t r0, int64_t r1) {
    std::vector<float> tmp(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      dequantize_row(t.type, t.data + r * in_row, tmp.data(), cols);
      quantize_row(to, tmp.data(), dst + r * out_row, cols);
    }
  });
  return ok_status();
}

}  // namespace

StatusOr<QuantizeStats> quantize_model(const std::string& in_path, const std::string& out_path,
                                       const std::string& target_name, int n_threads) {
  std::string target;
  for (char c : target_name) target += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  DType base;
  if (target == "Q4_K_M" || target == "Q4_K_S") {
    base = DType::kQ4_K;
  } else if (target == "Q5_K_M" || target == "Q5_K_S") {
    base = DType::kQ5_K;
  } else {
    IMP_ASSIGN_OR_RETURN(base, dtype_from_name(target));
  }
  if (!can_quantize(base)) {
    return invalid_argument("cannot quantize to " + target_name);
  }
  IMP_ASSIGN_OR_RETURN(auto in, GgufFile::open(in_path));
  IMP_ASSIGN_OR_RETURN(std::string arch, in->get_string_or("general.architecture", ""));
  IMP_ASSIGN_OR_RETURN(int64_t n_layer, in->get_int_or(arch + ".block_count", 0));
  GgufWriter w(in->alignment());
  for (const auto& kv : in->metadata()) {
    if (kv.key != "general.alignment") w.set(kv.key, kv.value);
  }
  w.set("general.file_type", GgufValue::make_u32(static_cast<uint32_t>(file_type_of(target, base))));
  w.set("general.quantization_version", GgufValue::make_u32(2));
  QuantizeStats stats;
  ThreadPool pool(std::max(1, n_threads));
  for (const auto& t : in->tensors()) {
    const DType to = choose_type(t, target, base, static_cast<int>(n_layer));
    std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    stats.bytes_in += t.n_bytes;
    const GgufTensorInfo* info = &t;
    if (to == t.type) {
      ++stats.n_kept;
      stats.bytes_out += t.n_bytes;
      IMP_RETURN_IF_ERROR(w.add_tensor_lazy(t.name, t.type, ne, [info](uint8_t* dst) {
        std::memcpy(dst, info->data, info->n_bytes);
        return ok_status();
      }));
    } else {
      ++stats.n_quantized;
      stats.bytes_out += static_cast<uint64_t>(dtype_row_bytes(to, t.ne[0]) * (t.n_elements() / t.ne[0]));
      IMP_RETURN_IF_ERROR(w.add_tensor_lazy(
          t.name, to, ne, [info, to, &pool](uint8_t* dst) { return convert(*info, to, dst, pool); }));
    }
  }
  IMP_RETURN_IF_ERROR(w.write_file(out_path));
  return stats;
}

}  // namespace impetus
