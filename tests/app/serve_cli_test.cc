// `impetus serve` configuration: command line > IMPETUS_* environment >
// TOML config file; --help documents the options; SIGTERM shuts down cleanly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "testing/paths.h"
#include "testing/reference.h"

namespace impetus::testing {
namespace {

std::string impetus_bin() { return std::string(IMPETUS_BINARY_DIR) + "/src/impetus"; }

// Runs serve for ~2 s (then SIGTERM) with `env` and `args`; returns its stderr and exit status.
int serve_briefly(const std::string& env, const std::string& args, std::string* log) {
  const std::string model = shared_testdata("models/stories260K/stories260K.gguf");
  return run_command(env + " timeout --preserve-status -s TERM 2 " + impetus_bin() + " serve --model " +
                         model + " " + args + " 2>&1",
                     log);
}

int listened_port(const std::string& log) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) return -1;
  return std::stoi(m[1]);
}

TEST(ServeConfig, CommandLineBeatsEnvironmentBeatsConfigFile) {
  const int base = 20000 + static_cast<int>(::getpid() % 20000);
  const std::string cfg = scratch_dir("serve_cfg") + "/impetus.toml";
  { std::ofstream(cfg) << "port = " << base << "\nthreads = 1\n"; }
  std::string log;
  EXPECT_EQ(serve_briefly("", "--config " + cfg, &log), 0) << log;
  EXPECT_EQ(listened_port(log), base) << log;
  log.clear();
  EXPECT_EQ(serve_briefly("IMPETUS_PORT=" + std::to_string(base + 1), "--config " + cfg, &log), 0) << log;
  EXPECT_EQ(listened_port(log), base + 1) << log;
  log.clear();
  EXPECT_EQ(serve_briefly("IMPETUS_PORT=" + std::to_string(base + 1),
                          "--config " + cfg + " --port " + std::to_string(base + 2), &log),
            0)
      << log;
  EXPECT_EQ(listened_port(log), base + 2) << log;
  EXPECT_NE(log.find("shutting down"), std::string::npos) << log;
}

TEST(ServeConfig, HelpDocumentsOptionsAndBadValuesAreRefused) {
  std::string out;
  ASSERT_EQ(run_command(impetus_bin() + " serve --help", &out), 0);
  for (const char* opt : {"--model", "--alias", "--host", "--port", "--ctx-size", "--threads",
                          "--parallel", "--batch-size", "--kv-cache-size", "--kv-type",
                          "--chat-template", "--api-key", "--http-threads", "--max-body",
                          "--shutdown-grace", "--config", "IMPETUS_PORT"}) {
    EXPECT_NE(out.find(opt), std::string::npos) << opt;
  }
  out.clear();
  EXPECT_NE(run_command(impetus_bin() + " serve --model x.gguf --port 70000 2>&1", &out), 0);
  EXPECT_NE(out.find("port"), std::string::npos) << out;
  out.clear();
  EXPECT_NE(run_command(impetus_bin() + " serve --model /nonexistent.gguf --port 0 2>&1", &out), 0);
  EXPECT_NE(out.find("cannot open"), std::string::npos) << out;
}

}  // namespace
}  // namespace impetus::testing
