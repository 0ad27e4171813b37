#include "testing/paths.h"

#include <filesystem>
#include <unistd.h>

namespace impetus::testing {

std::string shared_testdata(const std::string& rel) {
  return std::string(IMPETUS_SHARED_DIR) + "/testdata/" + rel;
}

std::string source_path(const std::string& rel) { return std::string(IMPETUS_SOURCE_DIR) + "/" + rel; }

std::string scratch_dir(const std::string& name) {
  auto dir = std::filesystem::path(IMPETUS_BINARY_DIR) / "test_scratch" /
             (name + "." + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string reference_python() {
  // Debian's interpreter carries python3-numpy; a pyenv python on PATH may not.
  if (std::filesystem::exists("/usr/bin/python3")) return "/usr/bin/python3";
  return "python3";
}

}  // namespace impetus::testing
