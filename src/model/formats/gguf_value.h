// GgufValue: one metadata value of a GGUF file (any of its 13 value types,
// arrays included, nested or not). Used by the reader, the writer and the
// code that turns metadata into model hyperparameters and vocabularies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace impetus {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

const char* gguf_type_name(GgufType t);
bool gguf_type_is_valid(uint32_t raw);

struct GgufValue {
  GgufType type = GgufType::kUint32;
  // Scalars: integers in i (signed types) or u (unsigned, bool); floats in f.
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0.0;
  std::string str;                 // kString
  GgufType elem_type = GgufType::kUint8;  // kArray: type of the elements
  std::vector<GgufValue> array;    // kArray: elements

  static GgufValue make_u32(uint32_t v);
  static GgufValue make_i32(int32_t v);
  static GgufValue make_u64(uint64_t v);
  static GgufValue make_f32(float v);
  static GgufValue make_bool(bool v);
  static GgufValue make_string(std::string v);
  static GgufValue make_array(GgufType elem_type, std::vector<GgufValue> elems);
  static GgufValue make_string_array(const std::vector<std::string>& v);
  static GgufValue make_f32_array(const std::vector<float>& v);
  static GgufValue make_i32_array(const std::vector<int32_t>& v);

  bool is_integer() const;
  bool is_float() const { return type == GgufType::kFloat32 || type == GgufType::kFloat64; }
  // Numeric value as the requested type; errors when the value is not a
  // number or does not fit.
  StatusOr<int64_t> as_int() const;
  StatusOr<double> as_double() const;
  // A printable rendering ("[3 x string]" for long arrays), for `impetus info`.
  std::string to_display_string(size_t max_elems = 8) const;
};

}  // namespace impetus
