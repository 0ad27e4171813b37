#include "model/formats/gguf_value.h"

#include <limits>
#include <sstream>

namespace impetus {

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::kUint8: return "u8";
    case GgufType::kInt8: return "i8";
    case GgufType::kUint16: return "u16";
    case GgufType::kInt16: return "i16";
    case GgufType::kUint32: return "u32";
    case GgufType::kInt32: return "i32";
    case GgufType::kFloat32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "u64";
    case GgufType::kInt64: return "i64";
    case GgufType::kFloat64: return "f64";
  }
  return "?";
}

bool gguf_type_is_valid(uint32_t raw) { return raw <= static_cast<uint32_t>(GgufType::kFloat64); }

GgufValue GgufValue::make_u32(uint32_t v) {
  GgufValue x;
  x.type = GgufType::kUint32;
  x.u = v;
  return x;
}
GgufValue GgufValue::make_i32(int32_t v) {
  GgufValue x;
  x.type = GgufType::kInt32;
  x.i = v;
  return x;
}
GgufValue GgufValue::make_u64(uint64_t v) {
  GgufValue x;
  x.type = GgufType::kUint64;
  x.u = v;
  return x;
}
GgufValue GgufValue::make_f32(float v) {
  GgufValue x;
  x.type = GgufType::kFloat32;
  x.f = v;
  return x;
}
GgufValue GgufValue::make_bool(bool v) {
  GgufValue x;
  x.type = GgufType::kBool;
  x.u = v ? 1 : 0;
  return x;
}
GgufValue GgufValue::make_string(std::string v) {
  GgufValue x;
  x.type = GgufType::kString;
  x.str = std::move(v);
  return x;
}
GgufValue GgufValue::make_array(GgufType elem_type, std::vector<GgufValue> elems) {
  GgufValue x;
  x.type = GgufType::kArray;
  x.elem_type = elem_type;
  x.array = std::move(elems);
  return x;
}
GgufValue GgufValue::make_string_array(const std::vector<std::string>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (const auto& s : v) e.push_back(make_string(s));
  return make_array(GgufType::kString, std::move(e));
}
GgufValue GgufValue::make_f32_array(const std::vector<float>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (float f : v) e.push_back(make_f32(f));
  return make_array(GgufType::kFloat32, std::move(e));
}
GgufValue GgufValue::make_i32_array(const std::vector<int32_t>& v) {
  std::vector<GgufValue> e;
  e.reserve(v.size());
  for (int32_t i : v) e.push_back(make_i32(i));
  return make_array(GgufType::kInt32, std::move(e));
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kBool: return true;
    default: return false;
  }
}

static bool is_unsigned(GgufType t) {
  return t == GgufType::kUint8 || t == GgufType::kUint16 || t == GgufType::kUint32 ||
         t == GgufType::kUint64 || t == GgufType::kBool;
}

StatusOr<int64_t> GgufValue::as_int() const {
  if (!is_integer()) {
    return invalid_argument(std::string("expected an integer, found ") + gguf_type_name(type));
  }
  if (is_unsigned(type)) {
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return out_of_range("integer value too large");
    }
    return static_cast<int64_t>(u);
  }
  return i;
}

StatusOr<double> GgufValue::as_double() const {
  if (is_float()) return f;
  if (is_integer()) return is_unsigned(type) ? static_cast<double>(u) : static_cast<double>(i);
  return invalid_argument(std::string("expected a number, found ") + gguf_type_name(type));
}

std::string GgufValue::to_display_string(size_t max_elems) const {
  std::ostringstream os;
  switch (type) {
    case GgufType::kString: os << '"' << str << '"'; break;
    case GgufType::kFloat32:
    case GgufType::kFloat64: os << f; break;
    case GgufType::kBool: os << (u ? "true" : "false"); break;
    case GgufType::kArray:
      os << "[" << array.size() << " x " << gguf_type_name(elem_type);
      if (array.size() <= max_elems) {
        os << ":";
        for (const auto& e : array) os << " " << e.to_display_string(max_elems);
      }
      os << "]";
      break;
    default:
      if (is_unsigned(type)) {
        os << u;
      } else {
        os << i;
      }
  }
  return os.str();
}

}  // namespace impetus
