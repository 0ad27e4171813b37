// Catalog validation: one valid document, then one fault at a time; each
// error is INVALID_ARGUMENT and names the entry and the field.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "store/catalog.h"

namespace impetus {
namespace {

using nlohmann::json;

json valid_entry(const std::string& id = "tiny-1b") {
  return {
      {"id", id},
      {"name", "Tiny 1B"},
      {"repo", "someone/Tiny-1B-GGUF"},
      {"revision", "0123456789abcdef0123456789abcdef01234567"},
      {"architecture", "llama"},
      {"parameters", "1.1B"},
      {"context_length", 4096},
      {"license", "apache-2.0"},
      {"category", "efficient"},
      {"recommended_for", {"chat", "low_memory"}},
      {"features", {"tool_calling"}},
      {"description", "A tiny model."},
      {"min_memory_gb", 1.5},
      {"popularity_score", 50},
      {"files",
       {{"Q8_0",
         {{"file", "Tiny-1B-Q8_0.gguf"}, {"size_bytes", 1170000001}, {"size_source", "estimated"}}},
        {"Q4_K_M",
         {{"file", "Tiny-1B-Q4_K_M.gguf"},
          {"size_bytes", 668788096},
          {"size_source", "hub tree (exact)"}}}}}};
}

json doc_with(const json& entry) { return {{"version", 1}, {"models", json::array({entry})}}; }

TEST(CatalogParse, ValidEntryIsReadFieldByField) {
  auto c = Catalog::parse(doc_with(valid_entry()).dump());
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->entries().size(), 1u);
  const CatalogEntry& e = c->entries()[0];
  EXPECT_EQ(e.id, "tiny-1b");
  EXPECT_EQ(e.repo, "someone/Tiny-1B-GGUF");
  EXPECT_DOUBLE_EQ(e.n_parameters, 1.1e9);
  EXPECT_EQ(e.context_length, 4096);
  EXPECT_EQ(e.category, ModelCategory::kEfficient);
  EXPECT_EQ(e.recommended_for, (std::vector<std::string>{"chat", "low_memory"}));
  EXPECT_DOUBLE_EQ(e.min_memory_gb, 1.5);
  ASSERT_EQ(e.files.size(), 2u);
  EXPECT_EQ(e.files[0].quantization, "Q4_K_M");  // sorted by size
  EXPECT_EQ(e.files[0].size_bytes, 668788096u);
  EXPECT_EQ(e.files[1].size_source, "estimated");
}

// Applies `mutate` to a valid entry and expects an error mentioning every `needle`.
void expect_error(const std::function<void(json&)>& mutate, std::vector<std::string> needles) {
  json entry = valid_entry();
  mutate(entry);
  auto c = Catalog::parse(doc_with(entry).dump());
  ASSERT_FALSE(c.ok()) << entry.dump();
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  for (const std::string& n : needles) {
    EXPECT_NE(c.status().message().find(n), std::string::npos)
        << c.status().message() << " lacks " << n;
  }
}

TEST(CatalogParse, MissingAndMistypedFields) {
  for (const char* field : {"name", "repo", "architecture", "parameters", "context_length",
                            "license", "category", "recommended_for", "features", "description",
                            "min_memory_gb", "popularity_score", "files"}) {
    expect_error([&](json& e) { e.erase(field); }, {"models[0] (tiny-1b)", field, "missing"});
  }
  expect_error([](json& e) { e["context_length"] = "4096"; }, {"context_length", "integer"});
  expect_error([](json& e) { e["context_length"] = 4096.5; }, {"context_length"});
  expect_error([](json& e) { e["name"] = 7; }, {"name", "string"});
  expect_error([](json& e) { e["name"] = ""; }, {"name"});
  expect_error([](json& e) { e["min_memory_gb"] = -1; }, {"min_memory_gb", "positive"});
  expect_error([](json& e) { e["min_memory_gb"] = "2"; }, {"min_memory_gb"});
  expect_error([](json& e) { e["popularity_score"] = 101; }, {"popularity_score"});
  expect_error([](json& e) { e["recommended_for"] = "chat"; }, {"recommended_for", "array"});
  expect_error([](json& e) { e["features"] = {"Tool Calling"}; }, {"features"});
  expect_error([](json& e) { e["parameters"] = "1.1"; }, {"parameters"});
  expect_error([](json& e) { e["parameters"] = "abcB"; }, {"parameters"});
  expect_error([](json& e) { e["revision"] = "main"; }, {"revision"});
  expect_error([](json& e) { e["extra"] = 1; }, {"extra", "unknown field"});
  expect_error([](json& e) { e.erase("id"); }, {"models[0]", "id", "missing"});
  expect_error([](json& e) { e["id"] = "Bad Id"; }, {"models[0]", "id", "slug"});
}

TEST(CatalogParse, CategoryAndRepoAreChecked) {
  expect_error([](json& e) { e["category"] = "gaming"; }, {"(tiny-1b)", "category", "gaming"});
  for (const char* repo : {"noslash", "a/b/c", "../x", "a/b c"}) {
    expect_error([&](json& e) { e["repo"] = repo; }, {"(tiny-1b)", "repo"});
  }
}

TEST(CatalogParse, FilesAreChecked) {
  expect_error([](json& e) { e["files"] = json::object(); }, {"files", "non-empty"});
  expect_error([](json& e) { e["files"]["Q4_K_M"]["size_bytes"] = 0; },
               {"files.Q4_K_M", "size_bytes"});
  expect_error([](json& e) { e["files"]["Q4_K_M"]["size_bytes"] = -5; },
               {"files.Q4_K_M", "size_bytes"});
  expect_error([](json& e) { e["files"]["Q4_K_M"]["size_bytes"] = 1.5e9; },
               {"size_bytes", "integer"});
  expect_error([](json& e) { e["files"]["Q4_K_M"].erase("size_bytes"); },
               {"files.Q4_K_M", "size_bytes"});
  expect_error([](json& e) { e["files"]["Q9_X"] = e["files"]["Q4_K_M"]; },
               {"files.Q9_X", "quantization"});
  expect_error([](json& e) { e["files"]["q4_k_m"] = e["files"]["Q4_K_M"]; }, {"files.q4_k_m"});
  for (const char* bad :
       {"Tiny.bin", "dir/Tiny-Q4_K_M.gguf", "..\\x.gguf", ".gguf", ".hidden.gguf"}) {
    expect_error([&](json& e) { e["files"]["Q4_K_M"]["file"] = bad; }, {"files.Q4_K_M", "file"});
  }
  expect_error([](json& e) { e["files"]["Q4_K_M"]["file"] = std::string("a\0b.gguf", 8); },
               {"file"});
  expect_error([](json& e) { e["files"]["Q4_K_M"]["size_source"] = "guess"; }, {"size_source"});
  expect_error([](json& e) { e["files"]["Q4_K_M"]["sha"] = "x"; },
               {"files.Q4_K_M", "sha", "unknown"});
  expect_error([](json& e) { e["files"]["Q8_0"]["file"] = "Tiny-1B-Q4_K_M.gguf"; }, {"same file"});
}

TEST(CatalogParse, DocumentLevelErrors) {
  EXPECT_EQ(Catalog::parse("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Catalog::parse("[]").ok());
  EXPECT_FALSE(Catalog::parse(R"({"version":2,"models":[]})").ok());
  EXPECT_FALSE(Catalog::parse(R"({"models":[]})").ok());
  EXPECT_FALSE(Catalog::parse(R"({"version":1,"models":{}})").ok());
  EXPECT_FALSE(Catalog::parse(R"({"version":1,"models":[],"extra":1})").ok());
  EXPECT_TRUE(Catalog::parse(R"({"version":1,"models":[]})").ok());
  json doc = {{"version", 1}, {"models", {valid_entry("a"), valid_entry("b"), valid_entry("a")}}};
  auto c = Catalog::parse(doc.dump());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("models[2] (a)"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("duplicate"), std::string::npos);
}

TEST(CatalogParse, LoadNamesTheFile) {
  auto c = Catalog::load("/nonexistent/catalog.json");
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("/nonexistent/catalog.json"), std::string::npos);
}

}  // namespace
}  // namespace impetus
