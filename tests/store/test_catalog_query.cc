// Catalog queries on a small hand-made catalog: find, filter (category,
// search, memory, use case), the file picked for a memory budget, and
// recommendations for a machine.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/catalog.h"

namespace impetus {
namespace {

using nlohmann::json;

json entry(const std::string& id, const std::string& category, int score, double min_gb,
           std::vector<std::string> uses, json files) {
  return {{"id", id},
          {"name", "Model " + id},
          {"repo", "org/" + id + "-GGUF"},
          {"architecture", "llama"},
          {"parameters", "1B"},
          {"context_length", 8192},
          {"license", "mit"},
          {"category", category},
          {"recommended_for", uses},
          {"features", {"tool_calling"}},
          {"description", "About " + id + "."},
          {"min_memory_gb", min_gb},
          {"popularity_score", score},
          {"files", files}};
}

json file(const std::string& name, uint64_t size) {
  return {{"file", name}, {"size_bytes", size}, {"size_source", "hub tree (exact)"}};
}

Catalog test_catalog() {
  json models = json::array();
  models.push_back(entry("small", "efficient", 70, 1.5, {"chat", "low_memory"},
                         {{"Q8_0", file("small-Q8_0.gguf", 900'000'000)}}));
  models.push_back(entry("coder", "coding", 90, 6.5, {"coding"},
                         {{"Q4_K_M", file("coder-Q4_K_M.gguf", 4'700'000'001)},
                          {"Q8_0", file("coder-Q8_0.gguf", 8'100'000'001)},
                          {"Q3_K_M", file("coder-Q3_K_M.gguf", 3'800'000'001)}}));
  models.push_back(entry("big", "general", 95, 7.0, {"chat", "general"},
                         {{"Q4_K_M", file("big-Q4_K_M.gguf", 5'000'000'001)}}));
  models.push_back(entry("mid", "chat", 90, 3.0, {"chat"},
                         {{"Q4_K_M", file("mid-Q4_K_M.gguf", 2'000'000'001)}}));
  auto c = Catalog::parse(json{{"version", 1}, {"models", models}}.dump());
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

std::vector<std::string> ids(const std::vector<const CatalogEntry*>& v) {
  std::vector<std::string> out;
  for (const auto* e : v) out.push_back(e->id);
  return out;
}

using Ids = std::vector<std::string>;

TEST(CatalogQuery, FindAndFindByFile) {
  Catalog c = test_catalog();
  ASSERT_NE(c.find("coder"), nullptr);
  EXPECT_EQ(c.find("coder")->name, "Model coder");
  EXPECT_EQ(c.find("nope"), nullptr);
  EXPECT_EQ(c.find_by_file("coder-Q8_0.gguf")->id, "coder");
  EXPECT_EQ(c.find_by_file("coder-Q8_0.gguf", "org/coder-GGUF")->id, "coder");
  EXPECT_EQ(c.find_by_file("coder-Q8_0.gguf", "other/repo"), nullptr);
  EXPECT_EQ(c.find_by_file("CODER-Q8_0.gguf"), nullptr);
}

TEST(CatalogQuery, FilterRanksByPopularityThenId) {
  Catalog c = test_catalog();
  EXPECT_EQ(ids(c.filter({})), (Ids{"big", "coder", "mid", "small"}));
  EXPECT_EQ(ids(c.filter({.category = ModelCategory::kCoding})), (Ids{"coder"}));
  EXPECT_EQ(ids(c.filter({.category = ModelCategory::kSpecialized})), Ids{});
  EXPECT_EQ(ids(c.filter({.available_memory_gb = 3.0})), (Ids{"mid", "small"}));
  EXPECT_EQ(ids(c.filter({.available_memory_gb = 0.5})), Ids{});
  EXPECT_EQ(ids(c.filter({.use_case = "chat"})), (Ids{"big", "mid", "small"}));
  EXPECT_EQ(ids(c.filter({.use_case = "CHAT"})), (Ids{"big", "mid", "small"}));
  EXPECT_EQ(ids(c.filter({.available_memory_gb = 6.5, .use_case = "chat"})), (Ids{"mid", "small"}));
}

TEST(CatalogQuery, SearchMatchesEveryWordAnywhere) {
  Catalog c = test_catalog();
  EXPECT_EQ(ids(c.filter({.search = "CODER"})), (Ids{"coder"}));       // id and name, any case
  EXPECT_EQ(ids(c.filter({.search = "about mid"})), (Ids{"mid"}));     // description, two words
  EXPECT_EQ(ids(c.filter({.search = "low_memory"})), (Ids{"small"}));  // a use-case tag
  EXPECT_EQ(ids(c.filter({.search = "tool_calling"})).size(), 4u);     // a feature
  EXPECT_EQ(ids(c.filter({.search = "coder chat"})), Ids{});           // both words must match
  EXPECT_EQ(ids(c.filter({.search = "   "})).size(), 4u);
}

TEST(CatalogQuery, DefaultAndSelectedFiles) {
  Catalog c = test_catalog();
  const CatalogEntry& coder = *c.find("coder");
  EXPECT_EQ(coder.files.front().quantization, "Q3_K_M");
  EXPECT_EQ(default_file(coder).quantization, "Q4_K_M");
  EXPECT_EQ(default_file(*c.find("small")).quantization, "Q8_0");  // no Q4_K_M: the smallest
  // Needed: size * 1.2 + 0.5 GB. Q4_K_M: 6.14 GB, Q3_K_M: 5.06 GB.
  EXPECT_EQ(select_file(coder, 0)->quantization, "Q4_K_M");
  EXPECT_EQ(select_file(coder, 64'000'000'000)->quantization, "Q4_K_M");
  EXPECT_EQ(select_file(coder, 6'141'000'002)->quantization, "Q4_K_M");
  EXPECT_EQ(select_file(coder, 6'140'000'000)->quantization, "Q3_K_M");
  EXPECT_EQ(select_file(coder, 5'061'000'002)->quantization, "Q3_K_M");
  EXPECT_EQ(select_file(coder, 5'000'000'000), nullptr);
}

TEST(CatalogQuery, RecommendedFitsTheMachine) {
  Catalog c = test_catalog();
  HardwareSummary hw;
  hw.total_memory_bytes = 16'000'000'000;
  hw.available_memory_bytes = 4'000'000'000;
  std::vector<Recommendation> r = c.recommended("chat", hw);
  ASSERT_EQ(r.size(), 2u);  // "big" needs 7 GB
  EXPECT_EQ(r[0].entry->id, "mid");
  EXPECT_EQ(r[0].file->quantization, "Q4_K_M");
  EXPECT_EQ(r[1].entry->id, "small");

  hw.gpus.push_back({"GPU", 24'000'000'000, 900});  // the largest memory counts
  r = c.recommended("", hw);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].entry->id, "big");

  r = c.recommended("chat", hw);  // the "chat" category first, then by popularity
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].entry->id, "mid");
  EXPECT_EQ(r[1].entry->id, "big");
  EXPECT_EQ(r[2].entry->id, "small");

  EXPECT_EQ(c.recommended("chat", HardwareSummary{}).size(),
            3u);  // nothing known: no memory filter
  EXPECT_TRUE(c.recommended("painting", hw).empty());
}

TEST(CatalogQuery, QuantizationNames) {
  EXPECT_EQ(quantization_from_filename("qwen2.5-0.5b-instruct-q4_k_m.gguf"), "Q4_K_M");
  EXPECT_EQ(quantization_from_filename("Phi-3.5-mini-instruct.Q4_K_M.gguf"), "Q4_K_M");
  EXPECT_EQ(quantization_from_filename("Meta-Llama-3.1-8B-Instruct-Q8_0.gguf"), "Q8_0");
  EXPECT_EQ(quantization_from_filename("ggml-model-f16.gguf"), "F16");
  EXPECT_EQ(quantization_from_filename("x-IQ4_XS.gguf"), "IQ4_XS");
  EXPECT_EQ(quantization_from_filename("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf"), "Q4_K_M");
  EXPECT_EQ(quantization_from_filename("model.gguf"), "");
  EXPECT_EQ(quantization_from_filename("Q4_K_Mx.gguf"), "");
  EXPECT_DOUBLE_EQ(*quantization_bits_per_weight("Q8_0"), 8.5);     // 34 bytes per 32 weights
  EXPECT_DOUBLE_EQ(*quantization_bits_per_weight("Q4_0"), 4.5);     // 18 bytes per 32
  EXPECT_DOUBLE_EQ(*quantization_bits_per_weight("Q6_K"), 6.5625);  // 210 bytes per 256
  EXPECT_FALSE(quantization_bits_per_weight("q8_0"));
  EXPECT_EQ(parse_category("coding"), ModelCategory::kCoding);
  EXPECT_FALSE(parse_category("Coding"));
  for (auto cat : {ModelCategory::kGeneral, ModelCategory::kCoding, ModelCategory::kChat,
                   ModelCategory::kEfficient, ModelCategory::kSpecialized}) {
    EXPECT_EQ(parse_category(category_name(cat)), cat);
  }
}

}  // namespace
}  // namespace impetus
