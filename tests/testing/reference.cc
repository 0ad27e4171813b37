#include "testing/reference.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "testing/paths.h"

namespace impetus::testing {

int run_command(const std::string& cmd, std::string* out) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) {
    if (out != nullptr) out->append(buf, n);
  }
  return ::pclose(p);
}

ReferenceOutput run_reference(const std::string& model_path, const std::vector<int32_t>& tokens,
                              int32_t n_vocab, int32_t greedy_steps, bool act_quant) {
  ReferenceOutput r;
  std::string ids;
  for (int32_t t : tokens) ids += (ids.empty() ? "" : ",") + std::to_string(t);
  const std::string bin = model_path + ".ref_logits.bin";
  std::string cmd = reference_python() + " " + source_path("tools/ref_forward.py") + " " +
                    model_path + " --tokens " + ids + " --out " + bin + " --out-dtype f32 --json";
  if (greedy_steps > 0) cmd += " --greedy " + std::to_string(greedy_steps);
  if (act_quant) cmd += " --act-quant";
  std::string out;
  const int rc = run_command(cmd + " 2>&1", &out);
  if (rc != 0) {
    r.error = "reference failed (" + std::to_string(rc) + "): " + out.substr(0, 2000);
    return r;
  }
  std::ifstream in(bin, std::ios::binary);
  r.logits.resize(tokens.size() * static_cast<size_t>(n_vocab));
  in.read(reinterpret_cast<char*>(r.logits.data()),
          static_cast<std::streamsize>(r.logits.size() * sizeof(float)));
  if (!in) {
    r.error = "cannot read reference logits " + bin;
    return r;
  }
  if (greedy_steps > 0) {
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded() || !j.contains("generated")) {
      r.error = "reference printed no greedy ids: " + out.substr(0, 500);
      return r;
    }
    r.generated = j["generated"].get<std::vector<int32_t>>();
  }
  r.ok = true;
  return r;
}

double max_rel_error(const std::vector<float>& a, const std::vector<float>& b) {
  double max_ref = 0.0, max_diff = 0.0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(b[i])));
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  if (a.size() != b.size()) return INFINITY;
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

}  // namespace impetus::testing
