// Minimal leveled logging to stderr. IMP_LOG(kInfo, "loaded ", n, " tensors").
// The level comes from IMPETUS_LOG (debug|info|warn|error; default info).
#pragma once

#include <string>

#include "core/check.h"

namespace impetus {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

LogLevel log_level();
void set_log_level(LogLevel level);
void log_message(LogLevel level, const std::string& message);

}  // namespace impetus

#define IMP_LOG(level, ...)                                                          \
  do {                                                                               \
    if (::impetus::LogLevel::level >= ::impetus::log_level())                        \
      ::impetus::log_message(::impetus::LogLevel::level,                             \
                             ::impetus::detail::concat_message(__VA_ARGS__));        \
  } while (0)
