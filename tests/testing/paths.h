// Where tests find their inputs: ../shared/testdata (read-only, never copied
// into the repo), the source tree (tools/ scripts) and a scratch directory.
#pragma once

#include <string>

namespace impetus::testing {

// ../shared/testdata/<rel>
std::string shared_testdata(const std::string& rel);
// <repo>/<rel>
std::string source_path(const std::string& rel);
// A fresh directory under the build tree for this test's scratch files.
std::string scratch_dir(const std::string& name);
// The Python interpreter that has numpy (Debian's python3-numpy).
std::string reference_python();

}  // namespace impetus::testing
