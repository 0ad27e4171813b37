// `--gpu-layers N` on a machine (or a run) without a GPU: there is nothing to
// split, so every value runs the whole model on the CPU with the same output
// and no error. (The split itself is tested in tests/model/split_forward_test.cc
// with two CPU backends and in tests/backend_cuda/model_test.cc on a GPU.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/paths.h"
#include "testing/reference.h"

namespace impetus::testing {
namespace {

std::string generate_ids(const std::string& extra, int* rc) {
  const std::string cmd = std::string(IMPETUS_BINARY_DIR) + "/src/impetus generate -m " +
                          shared_testdata("models/stories260K/stories260K.gguf") +
                          " -p Zoo -n 8 --temp 0 --json -t 1 " + extra + " 2>/dev/null";
  std::string out;
  *rc = run_command(cmd, &out);
  if (*rc != 0) return "";
  return nlohmann::json::parse(out)["ids"].dump();
}

TEST(GpuLayersCli, CpuRunIgnoresTheSplit) {
  int rc = 0;
  const std::string base = generate_ids("--device cpu", &rc);
  ASSERT_EQ(rc, 0);
  ASSERT_FALSE(base.empty());
  for (const char* n : {"1", "3", "5", "100", "-1"}) {
    EXPECT_EQ(generate_ids(std::string("--device cpu --gpu-layers ") + n, &rc), base) << n;
    EXPECT_EQ(rc, 0) << n;
  }
  EXPECT_EQ(generate_ids("--gpu-layers 0", &rc), base);  // 0: the CPU, whatever the machine has
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace impetus::testing
