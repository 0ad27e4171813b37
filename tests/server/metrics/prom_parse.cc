#include "server/metrics/prom_parse.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testing/paths.h"

namespace impetus::testing {

std::optional<double> PromParse::value(const std::string& name,
                                       const std::map<std::string, std::string>& labels) const {
  for (const PromSample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::vector<PromSample> PromParse::all(const std::string& name) const {
  std::vector<PromSample> out;
  for (const PromSample& s : samples) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

PromParse parse_prometheus(const std::string& exposition) {
  PromParse result;
  const std::string path = scratch_dir("prom_parse") + "/exposition.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << exposition;
  }
  const std::string cmd = "/usr/bin/python3 '" +
                          source_path("tests/server/metrics/parse_metrics.py") + "' '" + path + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    result.available = false;
    return result;
  }
  std::string text;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = ::pclose(pipe);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 3 || code == 127) {
    result.available = false;
    return result;
  }
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (code != 0 || j.is_discarded() || !j.is_array()) {
    result.error =
        j.is_object() ? j.value("error", text) : "exit " + std::to_string(code) + ": " + text;
    return result;
  }
  for (const auto& s : j) {
    PromSample sample;
    sample.family = s["family"];
    sample.type = s["type"];
    sample.help = s["help"];
    sample.name = s["name"];
    sample.labels = s["labels"].get<std::map<std::string, std::string>>();
    sample.value = s["value"].get<double>();
    result.samples.push_back(std::move(sample));
  }
  return result;
}

}  // namespace impetus::testing
