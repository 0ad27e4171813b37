// llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out,
// produced by the Hugging Face tokenizers): every string of every vocabulary
// must encode (add_special=false, parse_special=false) to the reference ids.
// One test per (vocabulary, string), so a failure names both.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "model/formats/gguf_reader.h"
#include "testing/paths.h"
#include "tokenizer/tokenizer.h"

namespace impetus {
namespace {

constexpr int kNumCases = 46;  // PROVENANCE.md: 46 strings in every .inp file
constexpr std::string_view kSeparator = "\n__ggml_vocab_test__\n";

const std::vector<std::string> kVocabs = {"llama-spm",    "phi-3",  "gpt-2",     "deepseek-coder",
                                          "deepseek-llm", "falcon", "starcoder", "bert-bge"};

std::string vocab_path(const std::string& name, const std::string& suffix) {
  return testing::shared_testdata("vocab/ggml-vocab-" + name + ".gguf" + suffix);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Each string is followed by the separator; nothing comes after the last one.
std::vector<std::string> read_inputs(const std::string& name) {
  const std::string data = read_file(vocab_path(name, ".inp"));
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t sep = data.find(kSeparator, pos);
    if (sep == std::string::npos) {
      ADD_FAILURE() << name << ".inp: text after the last separator";
      break;
    }
    out.push_back(data.substr(pos, sep - pos));
    pos = sep + kSeparator.size();
  }
  return out;
}

// One line per string: space-separated ids (an empty line for no ids).
std::vector<std::vector<int32_t>> read_outputs(const std::string& name) {
  const std::string data = read_file(vocab_path(name, ".out"));
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(data);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<int32_t> ids;
    int64_t id;
    while (fields >> id) ids.push_back(static_cast<int32_t>(id));
    out.push_back(std::move(ids));
  }
  return out;
}

struct VocabCase {
  std::unique_ptr<GgufFile> gguf;
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<std::string> inputs;
  std::vector<std::vector<int32_t>> outputs;
  std::string error;
};

// Loaded once per vocabulary for all of its tests.
const VocabCase& vocab_case(const std::string& name) {
  static std::map<std::string, VocabCase> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  VocabCase& c = cache[name];
  auto gguf = GgufFile::open(vocab_path(name, ""));
  if (!gguf.ok()) {
    c.error = gguf.status().to_string();
    return c;
  }
  c.gguf = std::move(gguf).value();
  auto tok = Tokenizer::from_gguf(*c.gguf);
  if (!tok.ok()) {
    c.error = tok.status().to_string();
    return c;
  }
  c.tokenizer = std::move(tok).value();
  c.inputs = read_inputs(name);
  c.outputs = read_outputs(name);
  return c;
}

std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

class VocabVectorTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(VocabVectorTest, EncodesLikeReference) {
  const std::string name = std::get<0>(GetParam());
  const int index = std::get<1>(GetParam());
  const VocabCase& c = vocab_case(name);
  ASSERT_TRUE(c.error.empty()) << c.error;
  ASSERT_LT(index, static_cast<int>(c.inputs.size()));
  ASSERT_LT(index, static_cast<int>(c.outputs.size()));
  const std::string& text = c.inputs[index];
  const std::vector<int32_t> got = c.tokenizer->encode(text, false, false);
  EXPECT_EQ(got, c.outputs[index]) << name << " string #" << index << ": \"" << text << "\"\n"
                                   << "  got:     " << ids_to_string(got) << "\n"
                                   << "  expected:" << ids_to_string(c.outputs[index]);
}

std::string case_name(const ::testing::TestParamInfo<VocabVectorTest::ParamType>& info) {
  std::string name = std::get<0>(info.param);
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name + "_" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(All, VocabVectorTest,
                         ::testing::Combine(::testing::ValuesIn(kVocabs),
                                            ::testing::Range(0, kNumCases)),
                         case_name);

TEST(VocabVectorFiles, EveryVocabHasAllCases) {
  for (const std::string& name : kVocabs) {
    EXPECT_EQ(read_inputs(name).size(), static_cast<size_t>(kNumCases)) << name;
    EXPECT_EQ(read_outputs(name).size(), static_cast<size_t>(kNumCases)) << name;
  }
  // Spot checks of the parsing: string #2 is empty, #11 is "Hello world".
  const std::vector<std::string> inputs = read_inputs("llama-spm");
  ASSERT_GT(inputs.size(), 11u);
  EXPECT_EQ(inputs[2], "");
  EXPECT_EQ(inputs[11], "Hello world");
  EXPECT_EQ(read_outputs("llama-spm")[11], (std::vector<int32_t>{15043, 3186}));
}

}  // namespace
}  // namespace impetus
