// JsonFields: reads the fields of a JSON request object with validation,
// remembering which keys were read, so that any key left over can be
// rejected by name (a parameter is never silently ignored). Errors are
// ApiErrors naming the parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace impetus {

class JsonFields {
 public:
  explicit JsonFields(const nlohmann::json& object) : obj_(object) {}

  // Each getter returns nullopt when the key is absent or null; a present
  // value of the wrong type or out of range sets the error (first one wins).
  std::optional<double> number(const std::string& key, double min, double max);
  std::optional<int64_t> integer(const std::string& key, int64_t min, int64_t max);
  std::optional<bool> boolean(const std::string& key);
  std::optional<std::string> string(const std::string& key);
  // The raw value (marks the key as known); nullptr when absent or null.
  const nlohmann::json* raw(const std::string& key);
  // Marks keys as known without reading them (handled elsewhere).
  void known(std::initializer_list<const char*> keys);
  // Rejects keys that are accepted by OpenAI but not supported here, with `why`.
  void unsupported(const std::string& key, const std::string& why);

  // Sets the error unless one is set already.
  void fail(ApiError e);
  // After all getters: an error for the first key nobody read, if any.
  void check_unknown();
  const std::optional<ApiError>& error() const { return error_; }

 private:
  const nlohmann::json& obj_;
  std::set<std::string> read_;
  std::optional<ApiError> error_;
};

}  // namespace impetus
