#include "server/model_control.h"

namespace impetus {

bool is_safe_model_id(const std::string& id) {
  if (id.empty() || id.size() > 256 || id == "." || id == "..") return false;
  if (id.find("..") != std::string::npos) return false;
  for (unsigned char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace impetus
