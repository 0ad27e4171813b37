// Status and StatusOr: how every layer reports a failure caused by input
// (a bad file, a bad request, a missing resource) without exceptions.
//
//   StatusOr<GgufFile> f = GgufFile::open(path);
//   if (!f.ok()) return f.status();
//   IMP_ASSIGN_OR_RETURN(auto file, GgufFile::open(path));
//
// Broken invariants (programming errors) use IMP_CHECK from check.h instead.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"

namespace impetus {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller passed something malformed
  kNotFound,            // a named thing (file, model, tensor, key) does not exist
  kOutOfRange,          // a value outside its allowed range
  kDataLoss,            // a file or stream is truncated or corrupted
  kUnimplemented,       // valid, but not supported by this build
  kResourceExhausted,   // out of memory, KV blocks, disk, ...
  kFailedPrecondition,  // the system is not in a state to do this
  kUnavailable,         // temporarily unable (loading, shutting down)
  kCancelled,           // the caller gave up
  kInternal,            // a bug or an unexpected fault of ours
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message"
  std::string to_string() const;
  // Returns a copy whose message is "prefix: message".
  Status with_context(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status data_loss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status resource_exhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status failed_precondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    IMP_CHECK(!status_.ok(), "StatusOr built from an OK status without a value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    check_ok();
    return *value_;
  }
  const T& value() const& {
    check_ok();
    return *value_;
  }
  T&& value() && {
    check_ok();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check_ok() const { IMP_CHECK(ok(), "value() of a failed StatusOr: ", status_.to_string()); }
  Status status_;
  std::optional<T> value_;
};

}  // namespace impetus

#define IMP_CONCAT_INNER(a, b) a##b
#define IMP_CONCAT(a, b) IMP_CONCAT_INNER(a, b)

#define IMP_RETURN_IF_ERROR(expr)               \
  do {                                          \
    ::impetus::Status imp_status_ = (expr);     \
    if (!imp_status_.ok()) return imp_status_; \
  } while (0)

#define IMP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

#define IMP_ASSIGN_OR_RETURN(lhs, expr) \
  IMP_ASSIGN_OR_RETURN_IMPL(IMP_CONCAT(imp_statusor_, __LINE__), lhs, expr)
