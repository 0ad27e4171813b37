// Minimal leveled logging to stderr. IMP_LOG(kInfo, "loaded ", n, " tensors").
// The level comes from IMPETUS_LOG (debug|info|warn|error|off; default info),
// the format from IMPETUS_LOG_FORMAT (text|json; default text), both
// changeable at run time.
//
// Lines may carry a request id: the one of the current thread's
// LogRequestScope (the HTTP server opens one while a handler runs), or one
// given explicitly with IMP_LOG_REQ (for work that continues on other
// threads). Text lines look like
//   [impetus info] [req_3f2a...] GET /v1/models 200 1.2ms
// and JSON lines (one object per line) like
//   {"ts":"2025-01-31T12:00:00.123Z","level":"info","msg":"...","request_id":"req_3f2a..."}
// with "request_id" present only when there is one, plus any extra fields.
// An observer (set_log_observer) sees every emitted record, e.g. to forward
// log lines to WebSocket clients; it must not log itself (records logged
// from inside it are printed but not observed again).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"

namespace impetus {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class LogFormat { kText = 0, kJson = 1 };

// An extra field of a JSON line: its value is written as a JSON string, or,
// when `number` is set, as it is (it must then be a valid JSON number).
struct LogField {
  std::string key;
  std::string value;
  bool number = false;
};

// One log line, as handed to the observer.
struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  int64_t unix_ms = 0;       // wall-clock time of the record
  std::string_view message;
  std::string_view request_id;  // "" when none
  const std::vector<LogField>* fields = nullptr;  // null when none
};
using LogObserver = std::function<void(const LogRecord&)>;

LogLevel log_level();
void set_log_level(LogLevel level);
LogFormat log_format();
void set_log_format(LogFormat format);
const char* log_level_name(LogLevel level);  // "debug", "info", ...

// Installs (or, with nullptr, removes) the observer. Thread-safe.
void set_log_observer(LogObserver observer);

// Writes one line (the current thread's request id, if any).
void log_message(LogLevel level, const std::string& message);
// Writes one line with an explicit request id ("" = none) and extra fields.
void log_message(LogLevel level, std::string_view request_id, const std::string& message,
                 const std::vector<LogField>& fields = {});

// The request id of the calling thread ("" when none).
std::string_view current_request_id();

// Sets the calling thread's request id for its lifetime; restores the
// previous one when it ends. Not movable.
class LogRequestScope {
 public:
  explicit LogRequestScope(std::string request_id);
  ~LogRequestScope();
  LogRequestScope(const LogRequestScope&) = delete;
  LogRequestScope& operator=(const LogRequestScope&) = delete;

 private:
  std::string previous_;
};

// `text` as the contents of a JSON string (quotes not included): escapes
// quotes, backslashes and control characters; invalid UTF-8 becomes U+FFFD.
void append_json_escaped(std::string* out, std::string_view text);

}  // namespace impetus

#define IMP_LOG(level, ...)                                                          \
  do {                                                                               \
    if (::impetus::LogLevel::level >= ::impetus::log_level())                        \
      ::impetus::log_message(::impetus::LogLevel::level,                             \
                             ::impetus::detail::concat_message(__VA_ARGS__));        \
  } while (0)

// IMP_LOG with an explicit request id: IMP_LOG_REQ(kInfo, id, "done in ", ms, "ms").
#define IMP_LOG_REQ(level, request_id, ...)                                          \
  do {                                                                               \
    if (::impetus::LogLevel::level >= ::impetus::log_level())                        \
      ::impetus::log_message(::impetus::LogLevel::level, (request_id),               \
                             ::impetus::detail::concat_message(__VA_ARGS__));        \
  } while (0)
