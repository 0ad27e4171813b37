#include "tensor/dtype.h"

#include <array>
#include <cctype>

namespace impetus {
namespace {

constexpr std::array<DTypeInfo, 20> kInfos = {{
    {DType::kF32, "F32", 1, 4, false, true},
    {DType::kF16, "F16", 1, 2, false, true},
    {DType::kQ4_0, "Q4_0", 32, 18, true, true},
    {DType::kQ4_1, "Q4_1", 32, 20, true, true},
    {DType::kQ5_0, "Q5_0", 32, 22, true, true},
    {DType::kQ5_1, "Q5_1", 32, 24, true, true},
    {DType::kQ8_0, "Q8_0", 32, 34, true, true},
    {DType::kQ8_1, "Q8_1", 32, 36, true, false},
    {DType::kQ2_K, "Q2_K", 256, 84, true, false},
    {DType::kQ3_K, "Q3_K", 256, 110, true, false},
    {DType::kQ4_K, "Q4_K", 256, 144, true, true},
    {DType::kQ5_K, "Q5_K", 256, 176, true, true},
    {DType::kQ6_K, "Q6_K", 256, 210, true, true},
    {DType::kQ8_K, "Q8_K", 256, 292, true, true},
    {DType::kI8, "I8", 1, 1, false, false},
    {DType::kI16, "I16", 1, 2, false, false},
    {DType::kI32, "I32", 1, 4, false, false},
    {DType::kI64, "I64", 1, 8, false, false},
    {DType::kF64, "F64", 1, 8, false, false},
    {DType::kBF16, "BF16", 1, 2, false, true},
}};

}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t raw) {
  for (const auto& info : kInfos) {
    if (static_cast<uint32_t>(info.type) == raw) return info;
  }
  return std::nullopt;
}

const DTypeInfo& dtype_info(DType type) {
  for (const auto& info : kInfos) {
    if (info.type == type) return info;
  }
  IMP_CHECK(false, "unknown DType ", static_cast<uint32_t>(type));
  return kInfos[0];
}

StatusOr<DType> dtype_from_name(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& info : kInfos) {
    if (upper == info.name) return info.type;
  }
  return invalid_argument("unknown tensor type '" + std::string(name) + "'");
}

int64_t dtype_row_bytes(DType t, int64_t n) {
  const auto& info = dtype_info(t);
  IMP_CHECK(n % info.block_size == 0, "row of ", n, " elements is not a multiple of the ",
            info.name, " block size ", info.block_size);
  return n / info.block_size * info.type_size;
}

}  // namespace impetus
