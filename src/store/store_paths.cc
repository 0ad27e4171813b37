#include "store/store_paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace impetus {
namespace {

namespace fs = std::filesystem;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(fs::path(p), ec);
  return ec ? p : a.lexically_normal().string();
}

// $HOME, else the password database's entry for this user, else ".".
std::string user_home() {
  std::string home = env("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr)
    return pw->pw_dir;
  return ".";
}

}  // namespace

std::string impetus_home() {
  const std::string home = env("IMPETUS_HOME");
  if (!home.empty()) return absolute(home);
  return absolute((fs::path(user_home()) / ".impetus").string());
}

std::string models_dir() {
  const std::string dir = env("IMPETUS_MODELS");
  if (!dir.empty()) return absolute(dir);
  return (fs::path(impetus_home()) / "models").string();
}

std::string database_path() { return (fs::path(impetus_home()) / "impetus.db").string(); }

}  // namespace impetus
