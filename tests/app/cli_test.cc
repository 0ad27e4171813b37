// The command-line contract other tools rely on: `impetus generate/tokenize/
// perplexity/quantize/info` flags and JSON shapes, run as a real process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testing/paths.h"
#include "testing/reference.h"
#include "testing/tiny_model.h"

namespace impetus::testing {
namespace {

const std::string kStories = "models/stories260K/stories260K.gguf";

std::string impetus_bin() { return std::string(IMPETUS_BINARY_DIR) + "/src/impetus"; }

// Runs impetus with args; returns the exit status and stdout (stderr discarded unless asked).
int run(const std::string& args, std::string* out, bool with_stderr = false) {
  return run_command(impetus_bin() + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null"), out);
}

TEST(Cli, GenerateJson) {
  std::string out;
  ASSERT_EQ(run("generate -m " + shared_testdata(kStories) + " -p Zoo -n 12 --temp 0 --json", &out), 0);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["prompt_ids"], nlohmann::json({1, 410, 469, 347}));
  EXPECT_EQ(j["ids"].size(), 12u);
  EXPECT_EQ(j["text"].get<std::string>().rfind(" was a little girl named Lily.", 0), 0u) << j["text"];
  for (const char* k : {"prompt_ms", "gen_ms", "prompt_tok_s", "gen_tok_s"}) {
    EXPECT_TRUE(j["timings"][k].is_number()) << k;
  }
}

TEST(Cli, GenerateStreamsTextAndSeedIsReproducible) {
  std::string a, b, c;
  const std::string base = "generate -m " + shared_testdata(kStories) + " -p Once -n 24 --temp 1.0 ";
  ASSERT_EQ(run(base + "--seed 42", &a), 0);
  ASSERT_EQ(run(base + "--seed 42", &b), 0);
  ASSERT_EQ(run(base + "--seed 7 --top-k 0 --top-p 1 --min-p 0", &c), 0);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.rfind("Once", 0), 0u) << a;
  EXPECT_NE(a, c);
}

TEST(Cli, Tokenize) {
  std::string out;
  ASSERT_EQ(run("tokenize -m " + shared_testdata(kStories) + " \"Hello world\" --json", &out), 0);
  EXPECT_EQ(nlohmann::json::parse(out)["ids"], nlohmann::json({1, 346, 306, 414, 263, 304, 341}));
  out.clear();
  ASSERT_EQ(run("tokenize -m " + shared_testdata(kStories) + " --no-bos \"Once upon a time\"", &out), 0);
  EXPECT_EQ(out, "403 407 261 378\n");
}

TEST(Cli, PerplexityJson) {
  std::string out;
  ASSERT_EQ(run("perplexity -m " + shared_testdata(kStories) + " -f " +
                    shared_testdata("models/stories260K/stories260K.upstream-doc.md") +
                    " -c 128 --json",
                &out),
            0);
  auto j = nlohmann::json::parse(out);
  EXPECT_GT(j["ppl"].get<double>(), 1.0);
  EXPECT_GE(j["n_chunks"].get<int>(), 2);
}

TEST(Cli, QuantizeThenInfoThenGenerate) {
  const std::string dir = scratch_dir("cli_quant");
  TinyModelSpec s = tiny_spec_for("llama", DType::kF32);
  s.n_embd = 256;
  s.n_ff = 512;
  write_tiny_model(s, dir + "/f32.gguf");
  for (const char* type : {"Q8_0", "Q4_0", "Q4_K", "Q6_K", "Q4_K_M"}) {
    std::string out;
    const std::string q = dir + "/" + type + ".gguf";
    ASSERT_EQ(run("quantize " + dir + "/f32.gguf " + q + " " + type, &out), 0) << type;
    out.clear();
    ASSERT_EQ(run("info -m " + q + " --json", &out), 0);
    auto j = nlohmann::json::parse(out);
    EXPECT_EQ(j["architecture"], "llama");
    const std::string main_type = std::string(type) == "Q4_K_M" ? "Q4_K" : type;
    EXPECT_TRUE(j["tensor_types"].contains(main_type)) << j.dump();
    EXPECT_LT(std::filesystem::file_size(q), std::filesystem::file_size(dir + "/f32.gguf"));
  }
}

TEST(Cli, ErrorsAreMessagesNotCrashes) {
  std::string out;
  const std::string dir = scratch_dir("cli_errors");
  // A file that is not GGUF.
  { std::ofstream(dir + "/bad.gguf") << "definitely not a model"; }
  int rc = run("generate -m " + dir + "/bad.gguf -p hi", &out, true);
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("bad magic"), std::string::npos) << out;
  out.clear();
  rc = run("generate -m /nonexistent.gguf -p hi", &out, true);
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("cannot open"), std::string::npos) << out;
  out.clear();
  rc = run("quantize " + shared_testdata(kStories) + " " + dir + "/x.gguf Q9_9", &out, true);
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("Q9_9"), std::string::npos) << out;
  out.clear();
  // A vocab-only file has a tokenizer but no weights.
  rc = run("generate -m " + shared_testdata("vocab/ggml-vocab-llama-spm.gguf") + " -p hi", &out, true);
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("token_embd.weight"), std::string::npos) << out;
}

}  // namespace
}  // namespace impetus::testing
