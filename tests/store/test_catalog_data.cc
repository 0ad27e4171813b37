// The shipped catalog (data/catalog.json) loads, and its figures agree with
// each other and with arithmetic independent of the file: bigger
// quantizations are bigger files, file sizes follow parameters x bits per
// weight, min_memory_gb follows the documented rule, and data/README.md
// gives a source for every entry.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "store/catalog.h"
#include "testing/paths.h"

namespace impetus {
namespace {

const Catalog& shipped() {
  static const Catalog catalog = [] {
    auto c = Catalog::load(testing::source_path("data/catalog.json"));
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : *Catalog::parse(R"({"version":1,"models":[]})");
  }();
  return catalog;
}

TEST(CatalogData, LoadsWithTheModelsTheIssueAsksFor) {
  const Catalog& c = shipped();
  for (const char* id :
       {"llama-3.2-1b-instruct", "llama-3.2-3b-instruct", "llama-3.1-8b-instruct",
        "mistral-7b-instruct-v0.3", "qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct",
        "qwen2.5-7b-instruct", "qwen2.5-coder-7b-instruct", "qwen3-0.6b", "qwen3-4b", "qwen3-8b",
        "phi-3.5-mini-instruct", "gemma-2-2b-it", "gemma-2-9b-it", "smollm2-135m-instruct",
        "smollm2-360m-instruct", "smollm2-1.7b-instruct"}) {
    EXPECT_NE(c.find(id), nullptr) << id;
  }
  std::set<ModelCategory> categories;
  for (const CatalogEntry& e : c.entries()) categories.insert(e.category);
  EXPECT_EQ(categories.size(), 5u) << "every category has at least one model";
}

TEST(CatalogData, HigherQuantizationsAreBiggerFiles) {
  const char* order[] = {"Q4_K_M", "Q6_K", "Q8_0"};
  for (const CatalogEntry& e : shipped().entries()) {
    const CatalogFile* prev = nullptr;
    for (const char* q : order) {
      const CatalogFile* f = e.file_for(q);
      if (f == nullptr) continue;
      if (prev != nullptr) {
        EXPECT_GT(f->size_bytes, prev->size_bytes)
            << e.id << ": " << q << " vs " << prev->quantization;
      }
      prev = f;
    }
  }
}

// size / (parameters * nominal bits / 8): K-quant mixes keep some tensors at
// 6 or 8 bits, and models whose width is not a multiple of 256 (Qwen2.5
// 0.5B: 896, SmolLM2: 576 and 960) fall back to larger legacy blocks, so the
// upper bound is loose; a file over twice its nominal size, or well under
// it, is a wrong figure (a size or a parameter count from another model).
TEST(CatalogData, SizesFollowParametersTimesBitsPerWeight) {
  for (const CatalogEntry& e : shipped().entries()) {
    for (const CatalogFile& f : e.files) {
      const double bpw = quantization_bits_per_weight(f.quantization).value_or(0);
      ASSERT_GT(bpw, 0) << f.quantization;
      const double nominal = e.n_parameters * bpw / 8;
      const double ratio = static_cast<double>(f.size_bytes) / nominal;
      EXPECT_GE(ratio, 0.85) << e.id << " " << f.quantization;
      EXPECT_LE(ratio, 2.0) << e.id << " " << f.quantization;
      if (f.quantization == "Q8_0") {
        EXPECT_LE(ratio, 1.35) << e.id << " (Q8_0 has no fallback)";
      }
    }
  }
}

// data/README.md: min_memory_gb = the smallest file in GB x 1.2 + 0.5,
// rounded up to a multiple of 0.5.
TEST(CatalogData, MinMemoryFollowsTheDocumentedRule) {
  for (const CatalogEntry& e : shipped().entries()) {
    const double smallest_gb = static_cast<double>(e.smallest_file().size_bytes) / 1e9;
    EXPECT_GE(e.min_memory_gb, smallest_gb) << e.id;
    EXPECT_DOUBLE_EQ(e.min_memory_gb, std::ceil((smallest_gb * 1.2 + 0.5) * 2) / 2) << e.id;
    // The default quantization fits a machine with exactly min_memory_gb.
    EXPECT_NE(select_file(e, static_cast<uint64_t>(e.min_memory_gb * 1e9)), nullptr) << e.id;
  }
}

TEST(CatalogData, FileNamesNameTheirQuantizationAndPublisher) {
  const std::set<std::string> publishers = {"bartowski", "Qwen", "unsloth", "lmstudio-community",
                                            "HuggingFaceTB"};
  for (const CatalogEntry& e : shipped().entries()) {
    EXPECT_TRUE(publishers.count(e.repo.substr(0, e.repo.find('/')))) << e.repo;
    EXPECT_NE(e.repo.find("GGUF"), std::string::npos) << e.repo;
    for (const CatalogFile& f : e.files) {
      EXPECT_EQ(quantization_from_filename(f.file), f.quantization) << f.file;
    }
  }
}

// A figure labelled exact that is a round number of megabytes is more likely
// a rounded one; a rounded one is a round number of 10 MB.
TEST(CatalogData, SizeSourcesLookLikeWhatTheySay) {
  int exact = 0, total = 0;
  for (const CatalogEntry& e : shipped().entries()) {
    for (const CatalogFile& f : e.files) {
      ++total;
      if (f.size_source == "hub tree (exact)") {
        ++exact;
        EXPECT_NE(f.size_bytes % 1'000'000, 0u) << f.file;
      } else if (f.size_source == "model card (rounded)") {
        EXPECT_EQ(f.size_bytes % 10'000'000, 0u) << f.file;
      }
    }
  }
  EXPECT_GE(exact * 10, total * 8) << "most sizes are exact";
}

TEST(CatalogData, ReadmeGivesASourceForEveryEntry) {
  std::ifstream in(testing::source_path("data/README.md"));
  ASSERT_TRUE(in) << "data/README.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  for (const CatalogEntry& e : shipped().entries()) {
    EXPECT_NE(readme.find("`" + e.id + "`"), std::string::npos) << e.id;
    EXPECT_NE(readme.find(e.repo), std::string::npos) << e.repo;
    if (!e.revision.empty()) {
      EXPECT_NE(readme.find(e.revision.substr(0, 8)), std::string::npos) << e.id;
    }
  }
}

}  // namespace
}  // namespace impetus
