// IMP_CHECK: crash with file:line and a message when an invariant the code
// relies on is broken. Never use it for input that a user or file controls:
// that is what Status is for.
#pragma once

#include <sstream>
#include <string>

namespace impetus::detail {

[[noreturn]] void check_failed(const char* file, int line, const char* cond, const std::string& msg);

template <typename... Args>
std::string concat_message(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace impetus::detail

#define IMP_CHECK(cond, ...)                                                       \
  do {                                                                             \
    if (!(cond)) [[unlikely]] {                                                    \
      ::impetus::detail::check_failed(__FILE__, __LINE__, #cond,                   \
                                      ::impetus::detail::concat_message(__VA_ARGS__)); \
    }                                                                              \
  } while (0)
