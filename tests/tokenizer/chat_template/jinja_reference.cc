#include "tokenizer/chat_template/jinja_reference.h"

#include <fstream>
#include <iterator>

#include "testing/paths.h"
#include "testing/reference.h"

namespace impetus::testing {

std::vector<JinjaResult> render_with_jinja2(const std::vector<JinjaJob>& jobs, std::string* why) {
  nlohmann::ordered_json batch = nlohmann::ordered_json::array();
  for (const JinjaJob& j : jobs) batch.push_back({{"source", j.source}, {"context", j.context}});
  const std::string path = scratch_dir("jinja_ref") + "/jobs.json";
  {
    std::ofstream f(path, std::ios::binary);
    f << batch.dump();
  }
  const std::string cmd = std::string("IMPETUS_TEMPLATE_NOW='") + kPinnedNow + "' " +
                          reference_python() + " " + source_path("tools/render_template.py") +
                          " --batch < " + path + " 2> " + path + ".stderr";
  std::string out;
  const int rc = run_command(cmd, &out);
  auto parsed = nlohmann::json::parse(out, nullptr, false);
  if (rc != 0 || !parsed.is_array() || parsed.size() != jobs.size()) {
    std::ifstream err(path + ".stderr");
    std::string err_text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    *why = "render_template.py failed (rc " + std::to_string(rc) + "): " + out.substr(0, 1000) +
           err_text.substr(0, 1000);
    return {};
  }
  std::vector<JinjaResult> results;
  for (const auto& r : parsed) {
    JinjaResult jr;
    jr.ok = r.value("ok", false);
    if (jr.ok) {
      jr.output = r.value("output", "");
    } else {
      jr.error = r.value("error", "");
    }
    results.push_back(std::move(jr));
  }
  return results;
}

}  // namespace impetus::testing
