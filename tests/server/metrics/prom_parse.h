// Runs tests/server/metrics/parse_metrics.py (the official Prometheus Python
// client's parser) over an exposition and returns its samples, so tests
// check /metrics with a real parser rather than by string matching.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace impetus::testing {

struct PromSample {
  std::string family;  // as the parser names it ("_total" stripped from counters)
  std::string type;    // "counter", "gauge", "histogram", ...
  std::string help;
  std::string name;  // the sample's own name ("x_total", "x_bucket", ...)
  std::map<std::string, std::string> labels;
  double value = 0.0;
};

struct PromParse {
  bool available = true;  // false: python3-prometheus-client is not installed
  std::string error;      // the parser's complaint, "" when it parsed
  std::vector<PromSample> samples;

  // The value of the sample with this name and exactly these labels.
  std::optional<double> value(const std::string& name,
                              const std::map<std::string, std::string>& labels = {}) const;
  // Every sample with this name.
  std::vector<PromSample> all(const std::string& name) const;
};

PromParse parse_prometheus(const std::string& exposition);

}  // namespace impetus::testing
