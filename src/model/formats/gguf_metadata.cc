// Typed metadata look-ups of GgufFile.
#include "model/formats/gguf_reader.h"

namespace impetus {
namespace {

Status missing(const std::string& key) { return not_found("metadata key '" + key + "' is missing"); }

Status wrong_type(const std::string& key, const char* want, const GgufValue& v) {
  return invalid_argument("metadata key '" + key + "' should be " + want + ", found " +
                          gguf_type_name(v.type));
}

}  // namespace

StatusOr<std::string> GgufFile::get_string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::kString) return wrong_type(key, "a string", *v);
  return v->str;
}

StatusOr<int64_t> GgufFile::get_int(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  auto r = v->as_int();
  if (!r.ok()) return wrong_type(key, "an integer", *v);
  return r;
}

StatusOr<double> GgufFile::get_float(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  auto r = v->as_double();
  if (!r.ok()) return wrong_type(key, "a number", *v);
  return r;
}

StatusOr<bool> GgufFile::get_bool(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::kBool) return wrong_type(key, "a bool", *v);
  return v->u != 0;
}

StatusOr<int64_t> GgufFile::get_int_or(const std::string& key, int64_t fallback) const {
  return find(key) ? get_int(key) : StatusOr<int64_t>(fallback);
}
StatusOr<double> GgufFile::get_float_or(const std::string& key, double fallback) const {
  return find(key) ? get_float(key) : StatusOr<double>(fallback);
}
StatusOr<bool> GgufFile::get_bool_or(const std::string& key, bool fallback) const {
  return find(key) ? get_bool(key) : StatusOr<bool>(fallback);
}
StatusOr<std::string> GgufFile::get_string_or(const std::string& key,
                                              const std::string& fallback) const {
  return find(key) ? get_string(key) : StatusOr<std::string>(fallback);
}

StatusOr<std::vector<std::string>> GgufFile::get_string_array(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::kArray || v->elem_type != GgufType::kString) {
    return wrong_type(key, "an array of strings", *v);
  }
  std::vector<std::string> out;
  out.reserve(v->array.size());
  for (const auto& e : v->array) out.push_back(e.str);
  return out;
}

StatusOr<std::vector<float>> GgufFile::get_float_array(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::kArray) return wrong_type(key, "an array of numbers", *v);
  std::vector<float> out;
  out.reserve(v->array.size());
  for (const auto& e : v->array) {
    auto d = e.as_double();
    if (!d.ok()) return wrong_type(key, "an array of numbers", *v);
    out.push_back(static_cast<float>(*d));
  }
  return out;
}

StatusOr<std::vector<int64_t>> GgufFile::get_int_array(const std::string& key) const {
  const GgufValue* v = find(key);
  if (!v) return missing(key);
  if (v->type != GgufType::kArray) return wrong_type(key, "an array of integers", *v);
  std::vector<int64_t> out;
  out.reserve(v->array.size());
  for (const auto& e : v->array) {
    auto d = e.as_int();
    if (!d.ok()) return wrong_type(key, "an array of integers", *v);
    out.push_back(*d);
  }
  return out;
}

}  // namespace impetus
