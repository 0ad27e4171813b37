#include "core/check.h"

#include <cstdio>
#include <cstdlib>

namespace impetus::detail {

void check_failed(const char* file, int line, const char* cond, const std::string& msg) {
  std::fprintf(stderr, "impetus: check failed at %s:%d: %s %s\n", file, line, cond, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace impetus::detail
