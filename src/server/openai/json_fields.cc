#include "server/openai/json_fields.h"

#include <cmath>

namespace impetus {
namespace {

std::string range_text(double min, double max) {
  auto fmt = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  return fmt(min) + " and " + fmt(max);
}

}  // namespace

void JsonFields::fail(ApiError e) {
  if (!error_) error_ = std::move(e);
}

const nlohmann::json* JsonFields::raw(const std::string& key) {
  read_.insert(key);
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<double> JsonFields::number(const std::string& key, double min, double max) {
  const nlohmann::json* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    fail(bad_param(key, "'" + key + "' must be a number"));
    return std::nullopt;
  }
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    fail(bad_param(key, "'" + key + "' must be between " + range_text(min, max) + ", got " + v->dump()));
    return std::nullopt;
  }
  return d;
}

std::optional<int64_t> JsonFields::integer(const std::string& key, int64_t min, int64_t max) {
  const nlohmann::json* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    fail(bad_param(key, "'" + key + "' must be an integer"));
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    fail(bad_param(key, "'" + key + "' is too large"));
    return std::nullopt;
  }
  const int64_t i = v->get<int64_t>();
  if (i < min || i > max) {
    fail(bad_param(key, "'" + key + "' must be between " + std::to_string(min) + " and " +
                            std::to_string(max) + ", got " + std::to_string(i)));
    return std::nullopt;
  }
  return i;
}

std::optional<bool> JsonFields::boolean(const std::string& key) {
  const nlohmann::json* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(bad_param(key, "'" + key + "' must be a boolean"));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> JsonFields::string(const std::string& key) {
  const nlohmann::json* v = raw(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(bad_param(key, "'" + key + "' must be a string"));
    return std::nullopt;
  }
  return v->get<std::string>();
}

void JsonFields::known(std::initializer_list<const char*> keys) {
  for (const char* k : keys) read_.insert(k);
}

void JsonFields::unsupported(const std::string& key, const std::string& why) {
  read_.insert(key);
  auto it = obj_.find(key);
  if (it == obj_.end() || it->is_null()) return;
  fail({unimplemented("'" + key + "' is not supported" + (why.empty() ? "" : ": " + why)), key,
        "unsupported_parameter"});
}

void JsonFields::check_unknown() {
  for (auto it = obj_.begin(); it != obj_.end(); ++it) {
    if (!read_.count(it.key())) {
      fail({invalid_argument("Unrecognized request argument supplied: " + it.key()), it.key(),
            "unknown_parameter"});
      return;
    }
  }
}

}  // namespace impetus
