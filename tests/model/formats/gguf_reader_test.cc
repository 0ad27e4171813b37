// GGUF reader: real files, writer round trips, and hostile inputs that must
// give a clear error and never crash (the fuzz target explores further).
#include "model/formats/gguf_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "model/formats/gguf_writer.h"
#include "testing/paths.h"

namespace impetus {
namespace {

using testing::shared_testdata;

TEST(GgufReader, ReadsStories260K) {
  auto f = GgufFile::open(shared_testdata("models/stories260K/stories260K.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.metadata().size(), 19u);
  EXPECT_EQ(g.tensors().size(), 48u);
  EXPECT_EQ(g.data_offset(), 14176u);
  EXPECT_EQ(g.get_string("general.architecture").value(), "llama");
  EXPECT_EQ(g.get_int("llama.embedding_length").value(), 64);
  EXPECT_EQ(g.get_string_array("tokenizer.ggml.tokens").value().size(), 512u);
  const GgufTensorInfo* emb = g.find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ne[0], 64);
  EXPECT_EQ(emb->ne[1], 512);
  EXPECT_EQ(emb->type, DType::kF32);
  EXPECT_EQ(emb->n_bytes, 64u * 512u * 4u);
  // Zero-copy: the view points into the file mapping.
  EXPECT_EQ(emb->data, reinterpret_cast<const uint8_t*>(emb->view().data));
  EXPECT_FALSE(g.get_int("llama.embedding_length_missing").ok());
  EXPECT_EQ(g.get_string("llama.embedding_length").status().code(), StatusCode::kInvalidArgument);
}

TEST(GgufReader, ReadsEveryVocabFile) {
  for (const char* name : {"llama-spm", "phi-3", "gpt-2", "deepseek-coder", "deepseek-llm",
                           "falcon", "starcoder", "bert-bge"}) {
    auto f = GgufFile::open(shared_testdata(std::string("vocab/ggml-vocab-") + name + ".gguf"));
    ASSERT_TRUE(f.ok()) << name << ": " << f.status().to_string();
    EXPECT_TRUE((*f)->find("tokenizer.ggml.model") != nullptr) << name;
  }
}

template <typename T>
void poke(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof(T));
}

std::vector<uint8_t> sample_file() {
  GgufWriter w;
  w.set("k.u8", GgufValue{GgufType::kUint8, 0, 200});
  w.set("k.i8", GgufValue{GgufType::kInt8, -100});
  w.set("k.u16", GgufValue{GgufType::kUint16, 0, 60000});
  w.set("k.i16", GgufValue{GgufType::kInt16, -30000});
  w.set("k.u32", GgufValue::make_u32(4000000000u));
  w.set("k.i32", GgufValue::make_i32(-2000000000));
  w.set("k.f32", GgufValue::make_f32(1.5f));
  w.set("k.bool", GgufValue::make_bool(true));
  w.set("k.str", GgufValue::make_string("héllo"));
  w.set("k.u64", GgufValue::make_u64(1ull << 60));
  w.set("k.i64", GgufValue{GgufType::kInt64, -(1ll << 60)});
  w.set("k.f64", GgufValue{GgufType::kFloat64, 0, 0, 2.25});
  w.set("k.arr", GgufValue::make_string_array({"a", "bc", ""}));
  w.set("k.nested", GgufValue::make_array(GgufType::kArray, {GgufValue::make_i32_array({1, 2})}));
  std::vector<float> v(64 * 3);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  EXPECT_TRUE(w.add_f32_tensor("t0", {64, 3}, v).ok());
  EXPECT_TRUE(w.add_f32_tensor("t1", {5}, {1, 2, 3, 4, 5}).ok());
  return w.to_bytes().value();
}

TEST(GgufReader, WriterRoundTripsEveryValueType) {
  const auto bytes = sample_file();
  auto f = GgufFile::parse(bytes);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const GgufFile& g = **f;
  EXPECT_EQ(g.find("k.u8")->u, 200u);
  EXPECT_EQ(g.find("k.i8")->i, -100);
  EXPECT_EQ(g.find("k.u16")->u, 60000u);
  EXPECT_EQ(g.find("k.i16")->i, -30000);
  EXPECT_EQ(g.get_int("k.u32").value(), 4000000000ll);
  EXPECT_EQ(g.get_int("k.i32").value(), -2000000000ll);
  EXPECT_EQ(g.get_float("k.f32").value(), 1.5);
  EXPECT_TRUE(g.get_bool("k.bool").value());
  EXPECT_EQ(g.get_string("k.str").value(), "héllo");
  EXPECT_EQ(g.find("k.u64")->u, 1ull << 60);
  EXPECT_EQ(g.get_int("k.i64").value(), -(1ll << 60));
  EXPECT_EQ(g.get_float("k.f64").value(), 2.25);
  EXPECT_EQ(g.get_string_array("k.arr").value(), (std::vector<std::string>{"a", "bc", ""}));
  EXPECT_EQ(g.find("k.nested")->array[0].array[1].i, 2);
  const auto* t0 = g.find_tensor("t0");
  ASSERT_NE(t0, nullptr);
  EXPECT_EQ(t0->offset % 32, 0u);
  EXPECT_EQ(reinterpret_cast<const float*>(t0->data)[64 * 3 - 1], 191.0f);
  EXPECT_EQ(reinterpret_cast<const float*>(g.find_tensor("t1")->data)[4], 5.0f);
}

TEST(GgufReader, ReadsVersion2AndRejectsVersion1) {
  auto bytes = sample_file();
  poke<uint32_t>(bytes, 4, 2);  // v2 differs from v3 only in what v3 allows (big-endian files)
  auto v2 = GgufFile::parse(bytes);
  ASSERT_TRUE(v2.ok()) << v2.status().to_string();
  EXPECT_EQ((*v2)->version(), 2u);
  EXPECT_EQ((*v2)->get_string("k.str").value(), "héllo");
  poke<uint32_t>(bytes, 4, 1);  // v1 used 32-bit counts: refused, not misread
  EXPECT_EQ(GgufFile::parse(bytes).status().code(), StatusCode::kUnimplemented);
}

TEST(GgufReader, EveryTruncationIsAnError) {
  const auto bytes = sample_file();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto f = GgufFile::parse(std::span<const uint8_t>(bytes.data(), n));
    // Cutting only trailing tensor padding may still be valid; anything else must fail cleanly.
    if (f.ok()) {
      EXPECT_GE(n, bytes.size() - 32) << "truncated to " << n << " parsed";
    } else {
      EXPECT_EQ(f.status().code(), StatusCode::kDataLoss) << f.status().to_string();
    }
  }
}

TEST(GgufReader, HostileHeaders) {
  auto base = sample_file();
  auto expect_error = [](const std::vector<uint8_t>& b, const std::string& needle) {
    auto f = GgufFile::parse(b);
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status().message();
  };
  auto b = base;
  b[0] = 'X';
  expect_error(b, "bad magic");
  b = base;
  poke<uint32_t>(b, 4, 7);
  expect_error(b, "version");
  b = base;
  poke<uint64_t>(b, 8, 1ull << 60);  // tensor count
  expect_error(b, "tensor count");
  b = base;
  poke<uint64_t>(b, 16, ~0ull);  // metadata count
  expect_error(b, "metadata count");
  b = base;
  poke<uint64_t>(b, 24, 1ull << 62);  // first key's length
  expect_error(b, "string length");
  b = base;
  poke<uint32_t>(b, 24 + 8 + 4, 99);  // first value's type ("k.u8" is 4 bytes)
  expect_error(b, "unknown value type");
}

// Finds the byte offset of a tensor info's fields by searching for its name.
size_t find_name(const std::vector<uint8_t>& b, const std::string& name) {
  for (size_t i = 0; i + name.size() < b.size(); ++i) {
    if (std::memcmp(b.data() + i, name.data(), name.size()) == 0 &&
        b[i - 8] == name.size()) {
      return i + name.size();
    }
  }
  return 0;
}

TEST(GgufReader, HostileTensorInfos) {
  const auto base = sample_file();
  const size_t t1 = find_name(base, "t1");  // after the name: n_dims u32, ne u64, type u32, offset u64
  ASSERT_NE(t1, 0u);
  auto expect_error = [](const std::vector<uint8_t>& b, const std::string& needle) {
    auto f = GgufFile::parse(b);
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status().message();
  };
  auto b = base;
  poke<uint32_t>(b, t1, 9);
  expect_error(b, "dimensions");
  b = base;
  poke<uint64_t>(b, t1 + 4, 1ull << 40);
  expect_error(b, "past the end");
  b = base;
  poke<uint64_t>(b, t1 + 4, 1ull << 62);
  expect_error(b, "overflows");
  b = base;
  poke<uint32_t>(b, t1 + 12, 77);
  expect_error(b, "unknown type");
  b = base;
  poke<uint64_t>(b, t1 + 16, 1ull << 40);
  expect_error(b, "past the end");
  b = base;
  poke<uint64_t>(b, t1 + 16, 8);
  expect_error(b, "not aligned");
  b = base;
  poke<uint32_t>(b, t1 + 12, static_cast<uint32_t>(DType::kQ4_0));  // 5 is not a multiple of 32
  expect_error(b, "block size");
}

TEST(GgufReader, DuplicateKeysAndMissingFiles) {
  GgufWriter w;
  w.set("a", GgufValue::make_u32(1));
  auto bytes = w.to_bytes().value();
  // Duplicate the one key-value pair by hand and bump the count.
  const size_t kv_size = 8 + 1 + 4 + 4;  // key length, "a", type, u32 value
  const std::vector<uint8_t> kv(bytes.begin() + 24, bytes.begin() + 24 + kv_size);
  bytes.insert(bytes.begin() + 24 + kv_size, kv.begin(), kv.end());
  poke<uint64_t>(bytes, 16, 2);
  auto f = GgufFile::parse(bytes);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("duplicate"), std::string::npos);
  auto missing = GgufFile::open("/nonexistent/model.gguf");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace impetus
