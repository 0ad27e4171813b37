#include "tokenizer/test_vocabs.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "testing/paths.h"

namespace impetus::testing {
namespace {

struct Loaded {
  std::unique_ptr<GgufFile> gguf;
  std::unique_ptr<Tokenizer> tokenizer;
};

const Tokenizer* load_cached(const std::string& path) {
  static std::map<std::string, Loaded> cache;
  auto it = cache.find(path);
  if (it == cache.end()) {
    Loaded loaded;
    auto gguf = GgufFile::open(path);
    if (gguf.ok()) {
      loaded.gguf = std::move(gguf).value();
      auto tok = Tokenizer::from_gguf(*loaded.gguf);
      if (tok.ok()) {
        loaded.tokenizer = std::move(tok).value();
      } else {
        ADD_FAILURE() << path << ": " << tok.status().to_string();
      }
    } else {
      ADD_FAILURE() << path << ": " << gguf.status().to_string();
    }
    it = cache.emplace(path, std::move(loaded)).first;
  }
  return it->second.tokenizer.get();
}

}  // namespace

const Tokenizer* vocab_tokenizer(const std::string& name) {
  return load_cached(shared_testdata("vocab/ggml-vocab-" + name + ".gguf"));
}

const Tokenizer* stories_tokenizer() {
  return load_cached(shared_testdata("models/stories260K/stories260K.gguf"));
}

const std::vector<std::string>& vocab_test_strings() {
  static const std::vector<std::string> strings = [] {
    std::ifstream in(shared_testdata("vocab/ggml-vocab-llama-spm.gguf.inp"), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> out;
    for (size_t pos = 0, hit; (hit = data.find(sep, pos)) != std::string::npos;
         pos = hit + sep.size()) {
      out.push_back(data.substr(pos, hit - pos));
    }
    return out;
  }();
  return strings;
}

StatusOr<std::unique_ptr<Tokenizer>> tiny_tokenizer(
    const std::string& model, const std::vector<TinyToken>& tokens,
    const std::vector<std::pair<std::string, GgufValue>>& extra) {
  std::vector<std::string> texts;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (const TinyToken& t : tokens) {
    texts.push_back(t.text);
    scores.push_back(t.score);
    types.push_back(static_cast<int32_t>(t.type));
  }
  GgufWriter w;
  w.set("general.architecture", GgufValue::make_string("llama"));
  w.set("tokenizer.ggml.model", GgufValue::make_string(model));
  w.set("tokenizer.ggml.tokens", GgufValue::make_string_array(texts));
  w.set("tokenizer.ggml.scores", GgufValue::make_f32_array(scores));
  w.set("tokenizer.ggml.token_type", GgufValue::make_i32_array(types));
  for (const auto& [key, value] : extra) w.set(key, value);
  IMP_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, w.to_bytes());
  // The tokenizer copies everything it needs, so the file may go away after.
  IMP_ASSIGN_OR_RETURN(auto gguf, GgufFile::parse(bytes));
  return Tokenizer::from_gguf(*gguf);
}

}  // namespace impetus::testing
