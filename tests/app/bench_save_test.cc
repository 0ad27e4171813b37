// `impetus bench --save`, run as a real process: the server's benchmark on a
// synthesized model, stored in a real SQLite history that BenchStore (the
// server's reader) reads back; bad arguments and a damaged database give
// clear errors and leave the file as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "telemetry/bench_store.h"
#include "testing/paths.h"
#include "testing/reference.h"

namespace impetus::testing {
namespace {

int run(const std::string& args, std::string* out) {
  return run_command(std::string(IMPETUS_BINARY_DIR) + "/src/impetus " + args + " 2>&1", out);
}

class BenchSaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = scratch_dir("bench_save");
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    model_ = dir_ + "/tiny-Q8_0.gguf";
    std::string out;
    ASSERT_EQ(run("synth -o " + model_ + " --shape tiny --type q8_0", &out), 0) << out;
    db_ = dir_ + "/history.db";
  }
  std::string dir_, model_, db_;
};

TEST_F(BenchSaveTest, StoresTheServersBenchmarkInTheHistory) {
  const std::string cmd = "bench -m " + model_ + " -t 2 --save --database " + db_ +
                          " --prompt-lengths 8,24 --max-tokens 5 --json";
  std::string out;
  ASSERT_EQ(run(cmd, &out), 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["source"], "cli");
  EXPECT_EQ(j["model_id"], "tiny-Q8_0");
  EXPECT_EQ(j["quantization"], "Q8_0");
  EXPECT_EQ(j["hardware_fingerprint"].get<std::string>().size(), 16u);
  ASSERT_EQ(j["prompts"].size(), 2u);
  EXPECT_EQ(j["prompts"][0]["prompt_tokens"], 8);
  EXPECT_EQ(j["prompts"][1]["prompt_tokens"], 24);
  EXPECT_EQ(j["prompts"][1]["generated_tokens"], 5);
  EXPECT_EQ(j["prompts"][0]["cached_prompt_tokens"], 0);  // a fair run: nothing from the prefix cache
  EXPECT_GT(j["generated_tokens_per_sec"].get<double>(), 0.0);
  EXPECT_GT(j["peak_memory_bytes"].get<uint64_t>(), 0u);

  ASSERT_EQ(run(cmd, &out), 0) << out;  // a second run appends
  auto store = BenchStore::open(db_);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto runs = store->history("tiny-Q8_0");
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  ASSERT_EQ(runs->size(), 2u);
  const BenchRunRecord& first = runs->back();  // newest first
  EXPECT_EQ(first.id, j["id"].get<int64_t>());
  EXPECT_EQ(first.source, "cli");
  EXPECT_DOUBLE_EQ(first.generated_tokens_per_sec, j["generated_tokens_per_sec"].get<double>());
  auto rows = store->comparison();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].run_count, 2);
}

TEST_F(BenchSaveTest, RefusesMixedOptionsAndDamagedFiles) {
  std::string out;
  EXPECT_NE(run("bench -m " + model_ + " --save --database " + db_ + " -p 16", &out), 0);
  EXPECT_NE(out.find("--prompt-lengths"), std::string::npos) << out;
  EXPECT_NE(run("bench -m " + model_ + " --save --database " + db_ + " --concurrency 2", &out), 0);
  EXPECT_NE(out.find("--concurrency"), std::string::npos) << out;
  EXPECT_NE(run("bench -m " + model_ + " --save --database " + db_ + " --prompt-lengths 0", &out), 0);
  EXPECT_FALSE(std::filesystem::exists(db_));

  const std::string garbage(4096, 'x');
  std::ofstream(db_, std::ios::binary) << garbage;
  EXPECT_NE(run("bench -m " + model_ + " --save --database " + db_ + " --prompt-lengths 8 --max-tokens 2", &out), 0);
  EXPECT_NE(out.find("database"), std::string::npos) << out;
  std::ifstream in(db_, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), garbage);  // left as it was
}

}  // namespace
}  // namespace impetus::testing
