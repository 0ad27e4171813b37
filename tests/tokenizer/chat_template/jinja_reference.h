// Runs tools/render_template.py (Python's jinja2, set up like transformers)
// on a batch of templates and contexts, for comparing our renderer with it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace impetus::testing {

struct JinjaResult {
  bool ok = false;
  std::string output;  // the rendering when ok
  std::string error;   // "<Python exception type>: <message>" otherwise
};

// The clock both renderers use for strftime_now() in tests.
inline constexpr const char* kPinnedNow = "2024-09-05 12:00:00";

struct JinjaJob {
  std::string source;  // template text
  nlohmann::ordered_json context;
};

// One result per job, in order. On a failure to run Python at all, returns
// an empty vector and sets *why.
std::vector<JinjaResult> render_with_jinja2(const std::vector<JinjaJob>& jobs, std::string* why);

}  // namespace impetus::testing
