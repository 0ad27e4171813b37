// `impetus synth`, `impetus bench` and `impetus info --hardware`, run as a
// real process: synthesized models load, generate and hold the requested
// weights; the bench JSON has its documented keys.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>
#include <nlohmann/json.hpp>

#include "model/formats/gguf_reader.h"
#include "testing/paths.h"
#include "testing/reference.h"

namespace impetus::testing {
namespace {

std::string impetus_bin() { return std::string(IMPETUS_BINARY_DIR) + "/src/impetus"; }

int run(const std::string& args, std::string* out, bool with_stderr = false) {
  return run_command(impetus_bin() + " " + args + (with_stderr ? " 2>&1" : " 2>/dev/null"), out);
}

nlohmann::json run_json(const std::string& args) {
  std::string out;
  EXPECT_EQ(run(args, &out), 0) << args;
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << args << "\n" << out;
  return j;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A tiny synthesized model, written once per test binary.
const std::string& tiny_f16() {
  static const std::string path = [] {
    const std::string p = scratch_dir("bench_cli") + "/tiny-f16.gguf";
    std::string out;
    EXPECT_EQ(run("synth -o " + p + " --shape tiny --type f16", &out), 0);
    return p;
  }();
  return path;
}

TEST(SynthCli, TinyModelLoadsAndGenerates) {
  auto info = run_json("info -m " + tiny_f16() + " --json");
  EXPECT_EQ(info["architecture"], "llama");
  EXPECT_EQ(info["hparams"]["embedding_length"], 256);
  EXPECT_EQ(info["hparams"]["block_count"], 2);
  EXPECT_EQ(info["hparams"]["attention.head_count_kv"], 2);
  EXPECT_EQ(info["n_tensors"], 3 + 2 * 9);
  EXPECT_EQ(info["tokenizer"]["model"], "llama");
  auto gen = run_json("generate -m " + tiny_f16() + " -p \"Hello world\" -n 6 --temp 0 --ignore-eos --json");
  EXPECT_EQ(gen["ids"].size(), 6u);
  EXPECT_EQ(gen["prompt_ids"][0], 1);  // <s>
}

TEST(SynthCli, WeightsFollowTheRequestedDistribution) {
  const std::string dir = scratch_dir("bench_cli_dist");
  std::string out;
  ASSERT_EQ(run("synth -o " + dir + "/a.gguf --shape tiny --type f32 --seed 3 -t 1", &out), 0);
  ASSERT_EQ(run("synth -o " + dir + "/b.gguf --shape tiny --type f32 --seed 3 -t 2", &out), 0);
  ASSERT_EQ(run("synth -o " + dir + "/c.gguf --shape tiny --type f32 --seed 4", &out), 0);
  EXPECT_EQ(read_bytes(dir + "/a.gguf"), read_bytes(dir + "/b.gguf"));  // thread count is irrelevant
  EXPECT_NE(read_bytes(dir + "/a.gguf"), read_bytes(dir + "/c.gguf"));

  auto g = GgufFile::open(dir + "/a.gguf");
  ASSERT_TRUE(g.ok()) << g.status().message();
  const GgufTensorInfo* down = (*g)->find_tensor("blk.1.ffn_down.weight");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->ne[0], 512);
  EXPECT_EQ(down->ne[1], 256);
  const float* w = reinterpret_cast<const float*>(down->data);
  const int64_t n = down->n_elements();
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < n; ++i) sum += w[i], sq += static_cast<double>(w[i]) * w[i];
  const double mean = sum / static_cast<double>(n);
  const double sd = std::sqrt(sq / static_cast<double>(n) - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.0005);
  EXPECT_NEAR(sd, 0.02, 0.0005);  // 131072 samples: the stddev estimate is good to ~0.2%
  for (const char* norm : {"blk.0.attn_norm.weight", "blk.1.ffn_norm.weight", "output_norm.weight"}) {
    const GgufTensorInfo* t = (*g)->find_tensor(norm);
    ASSERT_NE(t, nullptr) << norm;
    const float* v = reinterpret_cast<const float*>(t->data);
    for (int64_t i = 0; i < t->n_elements(); ++i) ASSERT_EQ(v[i], 1.0f) << norm;
  }
  EXPECT_EQ((*g)->find_tensor("output.weight")->ne[1], 512);  // tiny vocab
}

TEST(SynthCli, QuantizedTypesAndErrors) {
  const std::string dir = scratch_dir("bench_cli_types");
  for (const auto& [type, name, file_type] :
       {std::tuple{"q4_0", "Q4_0", 2}, std::tuple{"q4_k", "Q4_K", 14}, std::tuple{"q8_0", "Q8_0", 7}}) {
    std::string out;
    ASSERT_EQ(run("synth -o " + dir + "/" + type + ".gguf --shape tiny --type " + type, &out), 0);
    auto info = run_json("info -m " + dir + "/" + type + ".gguf --json");
    EXPECT_TRUE(info["tensor_types"].contains(name)) << info.dump();
    auto g = GgufFile::open(dir + "/" + type + ".gguf");
    ASSERT_TRUE(g.ok());
    EXPECT_EQ((*g)->get_int("general.file_type").value(), file_type);
  }
  std::string out;
  int rc = run("synth -o " + dir + "/x.gguf --shape tiny --type q2_k", &out, true);
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("Q2_K"), std::string::npos) << out;
  out.clear();
  rc = run("synth -o " + dir + "/x.gguf --shape llama9-999b", &out, true);
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(out.find("tinyllama-1.1b"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir + "/x.gguf"));
}

TEST(SynthCli, CopiesAVocabulary) {
  const std::string vocab = shared_testdata("vocab/ggml-vocab-llama-spm.gguf");
  const std::string path = scratch_dir("bench_cli_vocab") + "/v.gguf";
  std::string out;
  ASSERT_EQ(run("synth -o " + path + " --shape tiny --vocab " + vocab, &out), 0);
  auto info = run_json("info -m " + path + " --json");
  EXPECT_EQ(info["tokenizer"]["n_tokens"], 32000);
  const std::string text = "\"Hello world, it's a test\"";
  EXPECT_EQ(run_json("tokenize -m " + path + " " + text + " --json"),
            run_json("tokenize -m " + vocab + " " + text + " --json"));
  auto gen = run_json("generate -m " + path + " -p Hi -n 3 --temp 0 --ignore-eos --json");
  EXPECT_EQ(gen["ids"].size(), 3u);
}

TEST(BenchCli, JsonHasTheDocumentedKeys) {
  auto j = run_json("bench -m " + tiny_f16() + " -p 16 -n 8 -r 2 -t 2 --json");
  for (const char* k : {"model", "isa", "threads", "pp", "tg", "weight_bytes"}) {
    EXPECT_TRUE(j.contains(k)) << k << " in " << j.dump();
  }
  EXPECT_EQ(j["model"], tiny_f16());
  EXPECT_EQ(j["threads"], 2);
  EXPECT_EQ(j["pp"]["n"], 16);
  EXPECT_EQ(j["tg"]["n"], 8);
  for (const char* test : {"pp", "tg"}) {
    EXPECT_GT(j[test]["tok_s"].get<double>(), 0.0) << test;
    EXPECT_GE(j[test]["stddev"].get<double>(), 0.0) << test;
    EXPECT_EQ(j[test]["samples"].size(), 2u) << test;
  }
  EXPECT_GT(j["weight_bytes"].get<double>(), 0.0);
  EXPECT_NEAR(j["tg"]["gbps"].get<double>(),
              j["tg"]["tok_s"].get<double>() * j["weight_bytes"].get<double>() / 1e9, 1e-9);
  auto hw = run_json("info --hardware --json");
  EXPECT_EQ(j["isa"], hw["isa"]);

  auto scalar = run_json("bench -m " + tiny_f16() + " -p 8 -n 0 -r 1 -t 1 --isa scalar --json");
  EXPECT_EQ(scalar["isa"], "scalar");
  EXPECT_EQ(scalar["threads"], 1);
  EXPECT_TRUE(scalar["tg"].is_null());
}

TEST(BenchCli, TableMemoryAndErrors) {
  std::string out;
  ASSERT_EQ(run("bench -m " + tiny_f16() + " -p 16 -n 4 -r 1", &out), 0);
  EXPECT_NE(out.find(" pp16 "), std::string::npos) << out;
  EXPECT_NE(out.find(" tg4 "), std::string::npos) << out;
  auto mem = run_json("bench --memory --memory-mib 16 -t 2 --json");
  EXPECT_GT(mem["memory"]["read_gbps"].get<double>(), 0.0);
  EXPECT_GT(mem["memory"]["copy_gbps"].get<double>(), 0.0);
  EXPECT_EQ(mem["memory"]["threads"], 2);
  EXPECT_EQ(mem["memory"]["bytes"], 16 << 20);
  out.clear();
  EXPECT_EQ(WEXITSTATUS(run("bench -p 16", &out, true)), 1);
  EXPECT_NE(out.find("-m MODEL"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(WEXITSTATUS(run("bench -m " + tiny_f16() + " --isa mmx", &out, true)), 1);
  EXPECT_NE(out.find("mmx"), std::string::npos) << out;
}

TEST(InfoCli, Hardware) {
  auto hw = run_json("info --hardware --json");
  for (const char* k : {"cpu_model", "logical_cpus", "physical_cores", "features", "isa",
                        "supported_isas", "memory_bytes"}) {
    EXPECT_TRUE(hw.contains(k)) << k;
  }
  EXPECT_GE(hw["logical_cpus"].get<int>(), 1);
  EXPECT_EQ(hw["supported_isas"][0], "scalar");
  bool found = false;
  for (const auto& i : hw["supported_isas"]) found |= i == hw["isa"];
  EXPECT_TRUE(found) << hw.dump();
  std::string out;
  EXPECT_EQ(run("info --hardware", &out), 0);
  EXPECT_NE(out.find("cpu kernels:"), std::string::npos) << out;
}

}  // namespace
}  // namespace impetus::testing
