// The log formats of core/log.h as the server uses them: text and JSON
// lines, request-id scopes, explicit ids, extra fields, JSON escaping
// (control characters, invalid UTF-8), and the observer (with its guard
// against logging from inside itself).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/log.h"

namespace impetus {
namespace {

using nlohmann::json;

// Runs fn with the given format and level; returns what went to stderr.
template <typename Fn>
std::string capture(LogFormat format, Fn fn) {
  const LogFormat saved_format = log_format();
  const LogLevel saved_level = log_level();
  set_log_format(format);
  set_log_level(LogLevel::kDebug);
  ::testing::internal::CaptureStderr();
  fn();
  std::string out = ::testing::internal::GetCapturedStderr();
  set_log_format(saved_format);
  set_log_level(saved_level);
  return out;
}

TEST(LogFormat, TextLinesShowTheRequestId) {
  const std::string out = capture(LogFormat::kText, [] {
    IMP_LOG(kInfo, "plain ", 42);
    LogRequestScope scope("req_abc");
    IMP_LOG(kWarn, "scoped");
  });
  EXPECT_EQ(out, "[impetus info] plain 42\n[impetus warn] [req_abc] scoped\n");
}

TEST(LogFormat, JsonLinesWithScopesAndFields) {
  const std::string out = capture(LogFormat::kJson, [] {
    IMP_LOG(kInfo, "no id");
    {
      LogRequestScope outer("outer");
      IMP_LOG(kDebug, "in outer");
      {
        LogRequestScope inner("inner");
        IMP_LOG(kError, "in inner");
      }
      IMP_LOG(kInfo, "outer again");
      IMP_LOG_REQ(kInfo, "explicit", "given id");
    }
    log_message(LogLevel::kInfo, "r9", "with fields",
                {{"status", "200", true}, {"path", "/a\"b"}, {"empty_number", "", true}});
  });
  std::vector<json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) lines.push_back(json::parse(line));
  ASSERT_EQ(lines.size(), 6u) << out;
  EXPECT_EQ(lines[0]["msg"], "no id");
  EXPECT_FALSE(lines[0].contains("request_id"));
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[1]["request_id"], "outer");
  EXPECT_EQ(lines[1]["level"], "debug");
  EXPECT_EQ(lines[2]["request_id"], "inner");
  EXPECT_EQ(lines[2]["level"], "error");
  EXPECT_EQ(lines[3]["request_id"], "outer");
  EXPECT_EQ(lines[4]["request_id"], "explicit");
  EXPECT_EQ(lines[5]["request_id"], "r9");
  EXPECT_EQ(lines[5]["status"], 200);
  EXPECT_EQ(lines[5]["path"], "/a\"b");
  EXPECT_TRUE(lines[5]["empty_number"].is_null());
  EXPECT_TRUE(current_request_id().empty());
}

TEST(LogFormat, JsonEscapingIsValidForAnyBytes) {
  std::string nasty = "quote\" backslash\\ newline\n tab\t bell\x07 del\x7f ";
  nasty += "caf\xc3\xa9 ";       // valid UTF-8 stays
  nasty += "bad\xff\xfe ";       // invalid bytes become U+FFFD
  nasty += "cut\xe2\x82";        // truncated sequence
  nasty += " overlong\xc0\xaf";  // overlong encoding
  nasty += " surrogate\xed\xa0\x80";
  std::string escaped;
  append_json_escaped(&escaped, nasty);
  const json j = json::parse("\"" + escaped + "\"");
  const std::string back = j.get<std::string>();
  EXPECT_NE(back.find("quote\" backslash\\ newline\n tab\t bell\x07 del\x7f "), std::string::npos);
  EXPECT_NE(back.find("caf\xc3\xa9"), std::string::npos);
  EXPECT_NE(back.find("bad\xef\xbf\xbd\xef\xbf\xbd "), std::string::npos);
  EXPECT_EQ(back.find('\xff'), std::string::npos);
  EXPECT_EQ(back.find("\xc0\xaf"), std::string::npos);
  EXPECT_EQ(back.find("\xed\xa0\x80"), std::string::npos);
}

TEST(LogFormat, ObserverSeesRecordsButNotItsOwn) {
  std::vector<std::string> seen;
  std::vector<std::string> ids;
  set_log_observer([&](const LogRecord& r) {
    seen.emplace_back(r.message);
    ids.emplace_back(r.request_id);
    IMP_LOG(kInfo, "logged from the observer");  // printed, not observed again
  });
  const std::string out = capture(LogFormat::kText, [] {
    IMP_LOG(kInfo, "first");
    LogRequestScope scope("obs-1");
    IMP_LOG(kWarn, "second");
  });
  set_log_observer(nullptr);
  capture(LogFormat::kText, [] { IMP_LOG(kInfo, "after removal"); });
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(ids, (std::vector<std::string>{"", "obs-1"}));
  EXPECT_NE(out.find("logged from the observer"), std::string::npos);
}

}  // namespace
}  // namespace impetus
