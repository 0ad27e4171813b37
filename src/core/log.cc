#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace impetus {
namespace {

LogLevel level_from_env() {
  const char* v = std::getenv("IMPETUS_LOG");
  if (v == nullptr) return LogLevel::kInfo;
  if (std::strcmp(v, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(v, "warn") == 0) return LogLevel::kWarn;
  if (std::strcmp(v, "error") == 0) return LogLevel::kError;
  if (std::strcmp(v, "off") == 0) return LogLevel::kOff;
  return LogLevel::kInfo;
}

LogFormat format_from_env() {
  const char* v = std::getenv("IMPETUS_LOG_FORMAT");
  return v != nullptr && std::strcmp(v, "json") == 0 ? LogFormat::kJson : LogFormat::kText;
}

std::atomic<int>& level_storage() {
  static std::atomic<int> level{static_cast<int>(level_from_env())};
  return level;
}

std::atomic<int>& format_storage() {
  static std::atomic<int> format{static_cast<int>(format_from_env())};
  return format;
}

struct ObserverSlot {
  std::shared_mutex mu;
  std::shared_ptr<const LogObserver> observer;
  std::atomic<bool> set{false};
};

ObserverSlot& observer_slot() {
  static ObserverSlot slot;
  return slot;
}

thread_local std::string tl_request_id;
thread_local bool tl_in_observer = false;

// "2025-01-31T12:00:00.123Z"
void append_timestamp(std::string* out, int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, static_cast<int>(unix_ms % 1000));
  out->append(buf, static_cast<size_t>(n));
}

void append_json_string_field(std::string* out, std::string_view key, std::string_view value) {
  out->append(",\"");
  append_json_escaped(out, key);
  out->append("\":\"");
  append_json_escaped(out, value);
  out->push_back('"');
}

std::string format_line(const LogRecord& r) {
  std::string line;
  line.reserve(r.message.size() + 96);
  if (log_format() == LogFormat::kJson) {
    line.append("{\"ts\":\"");
    append_timestamp(&line, r.unix_ms);
    line.append("\",\"level\":\"");
    line.append(log_level_name(r.level));
    line.push_back('"');
    append_json_string_field(&line, "msg", r.message);
    if (!r.request_id.empty()) append_json_string_field(&line, "request_id", r.request_id);
    if (r.fields != nullptr) {
      for (const LogField& f : *r.fields) {
        if (!f.number) {
          append_json_string_field(&line, f.key, f.value);
          continue;
        }
        line.append(",\"");
        append_json_escaped(&line, f.key);
        line.append("\":");
        line.append(f.value.empty() ? "null" : f.value);
      }
    }
    line.append("}\n");
    return line;
  }
  line.append("[impetus ");
  line.append(log_level_name(r.level));
  line.append("] ");
  if (!r.request_id.empty()) {
    line.push_back('[');
    line.append(r.request_id);
    line.append("] ");
  }
  line.append(r.message);
  line.push_back('\n');
  return line;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid.
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1Fu;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0Fu;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3Fu);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF) return 0;
  return n;
}

}  // namespace

LogLevel log_level() {
  return static_cast<LogLevel>(level_storage().load(std::memory_order_relaxed));
}
void set_log_level(LogLevel level) { level_storage().store(static_cast<int>(level)); }
LogFormat log_format() {
  return static_cast<LogFormat>(format_storage().load(std::memory_order_relaxed));
}
void set_log_format(LogFormat format) { format_storage().store(static_cast<int>(format)); }

const char* log_level_name(LogLevel level) {
  static const char* names[] = {"debug", "info", "warn", "error", "off"};
  const int i = static_cast<int>(level);
  return i >= 0 && i <= 4 ? names[i] : "info";
}

void set_log_observer(LogObserver observer) {
  ObserverSlot& slot = observer_slot();
  std::unique_lock lock(slot.mu);
  slot.observer = observer ? std::make_shared<const LogObserver>(std::move(observer)) : nullptr;
  slot.set.store(slot.observer != nullptr, std::memory_order_release);
}

std::string_view current_request_id() { return tl_request_id; }

LogRequestScope::LogRequestScope(std::string request_id) : previous_(std::move(tl_request_id)) {
  tl_request_id = std::move(request_id);
}

LogRequestScope::~LogRequestScope() { tl_request_id = std::move(previous_); }

void log_message(LogLevel level, const std::string& message) {
  log_message(level, tl_request_id, message);
}

void log_message(LogLevel level, std::string_view request_id, const std::string& message,
                 const std::vector<LogField>& fields) {
  LogRecord record;
  record.level = level;
  record.unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  record.message = message;
  record.request_id = request_id;
  record.fields = fields.empty() ? nullptr : &fields;
  const std::string line = format_line(record);
  std::fwrite(line.data(), 1, line.size(), stderr);
  ObserverSlot& slot = observer_slot();
  if (tl_in_observer || !slot.set.load(std::memory_order_acquire)) return;
  std::shared_ptr<const LogObserver> observer;
  {
    std::shared_lock lock(slot.mu);
    observer = slot.observer;
  }
  if (!observer) return;
  tl_in_observer = true;
  try {
    (*observer)(record);
  } catch (...) {
    // An observer failure must never take logging down.
  }
  tl_in_observer = false;
}

void append_json_escaped(std::string* out, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = utf8_length(text, i);
      if (n == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD
        ++i;
      } else {
        out->append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
}

}  // namespace impetus
