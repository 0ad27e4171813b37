// The installed-model registry on a real scratch directory: what a scan
// finds (depth, links, split files, hidden and foreign files), the ids it
// gives (catalog ids, stems, collisions), removal and its refusals, the id
// validator, and where Impetus keeps its files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "store/installed_models.h"
#include "store/store_paths.h"
#include "testing/paths.h"

namespace impetus {
namespace {

namespace fs = std::filesystem;

void make_file(const fs::path& p, uint64_t size) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << "GGUF";
  fs::resize_file(p, size);
}

Catalog small_catalog() {
  nlohmann::json e = {
      {"id", "tiny-chat"},
      {"name", "Tiny Chat"},
      {"repo", "org/Tiny-GGUF"},
      {"architecture", "llama"},
      {"parameters", "1B"},
      {"context_length", 2048},
      {"license", "mit"},
      {"category", "chat"},
      {"recommended_for", {"chat"}},
      {"features", nlohmann::json::array()},
      {"description", "d"},
      {"min_memory_gb", 1.0},
      {"popularity_score", 1},
      {"files",
       {{"Q4_K_M",
         {{"file", "Tiny-Q4_K_M.gguf"}, {"size_bytes", 100}, {"size_source", "estimated"}}},
        {"Q8_0",
         {{"file", "Tiny-Q8_0.gguf"}, {"size_bytes", 200}, {"size_source", "estimated"}}}}}};
  auto c = Catalog::parse(nlohmann::json{{"version", 1}, {"models", {e}}}.dump());
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

class InstalledModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(testing::scratch_dir("installed_models")) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    models_ = root_ / "models";
    outside_ = root_ / "outside";
    fs::create_directories(models_);
    fs::create_directories(outside_);
  }
  void TearDown() override { fs::remove_all(root_); }

  InstalledModels scan(const std::vector<std::string>& extra = {}) {
    auto r = InstalledModels::scan(models_.string(), &catalog_, extra);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return std::move(r).value();
  }

  fs::path root_, models_, outside_;
  Catalog catalog_ = small_catalog();
};

TEST_F(InstalledModelsTest, FindsGgufFilesDownToThreeLevels) {
  make_file(models_ / "top-Q8_0.gguf", 1000);
  make_file(models_ / "org" / "Other-GGUF" / "deep-q4_k_m.gguf", 2000);
  make_file(models_ / "a" / "b" / "c" / "three.GGUF", 3000);
  make_file(models_ / "a" / "b" / "c" / "d" / "four.gguf", 4000);  // too deep
  make_file(models_ / ".hidden.gguf", 10);                         // hidden
  make_file(models_ / ".cache" / "x.gguf", 10);                    // hidden directory
  make_file(models_ / "notes.txt", 10);
  make_file(models_ / "partial.gguf.part", 10);
  InstalledModels m = scan();
  ASSERT_EQ(m.models().size(), 3u);
  const InstalledModel* top = m.find("top-Q8_0");
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->size_bytes, 1000u);
  EXPECT_EQ(top->quantization, "Q8_0");
  EXPECT_EQ(top->file_name, "top-Q8_0.gguf");
  EXPECT_EQ(fs::path(top->path), fs::weakly_canonical(models_ / "top-Q8_0.gguf"));
  EXPECT_GT(top->modified_unix, 1'600'000'000);
  EXPECT_FALSE(top->symlink);
  EXPECT_FALSE(top->external);
  ASSERT_NE(m.find("deep-q4_k_m"), nullptr);
  EXPECT_EQ(m.find("deep-q4_k_m")->quantization, "Q4_K_M");
  EXPECT_NE(m.find("three"), nullptr);
  EXPECT_EQ(m.find("four"), nullptr);
  EXPECT_EQ(m.find("three.GGUF")->id, "three");  // by file name too
}

TEST_F(InstalledModelsTest, MissingDirectoryIsEmpty) {
  auto r = InstalledModels::scan((root_ / "nope").string());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->models().empty());
}

TEST_F(InstalledModelsTest, CatalogFilesGetCatalogIds) {
  make_file(models_ / "org" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf", 100);
  InstalledModels m = scan();
  ASSERT_EQ(m.models().size(), 1u);
  EXPECT_EQ(m.models()[0].id, "tiny-chat");
  EXPECT_EQ(m.models()[0].catalog_id, "tiny-chat");
  // A second file of the same entry keeps its stem; ids stay unique.
  make_file(models_ / "z" / "Tiny-Q8_0.gguf", 200);  // scanned after org/ (sorted by path)
  m = scan();
  ASSERT_EQ(m.models().size(), 2u);
  EXPECT_EQ(m.find("tiny-chat")->file_name, "Tiny-Q4_K_M.gguf");
  EXPECT_EQ(m.find("Tiny-Q8_0")->catalog_id, "tiny-chat");
}

TEST_F(InstalledModelsTest, SameStemTwiceGetsDistinctIds) {
  make_file(models_ / "a" / "model.gguf", 1);
  make_file(models_ / "b" / "model.gguf", 2);
  InstalledModels m = scan();
  ASSERT_EQ(m.models().size(), 2u);
  EXPECT_EQ(m.find("model")->size_bytes, 1u);  // sorted by path: a/ first
  EXPECT_EQ(m.find("model-2")->size_bytes, 2u);
}

TEST_F(InstalledModelsTest, LinksAreFollowed) {
  make_file(outside_ / "linked-Q4_0.gguf", 500);
  make_file(outside_ / "dir" / "in-linked-dir.gguf", 600);
  fs::create_symlink(outside_ / "linked-Q4_0.gguf", models_ / "linked-Q4_0.gguf");
  fs::create_directory_symlink(outside_ / "dir", models_ / "dirlink");
  fs::create_symlink(outside_ / "missing.gguf", models_ / "dangling.gguf");
  InstalledModels m = scan();
  ASSERT_EQ(m.models().size(), 2u);
  const InstalledModel* l = m.find("linked-Q4_0");
  ASSERT_NE(l, nullptr);
  EXPECT_TRUE(l->symlink);
  EXPECT_EQ(l->size_bytes, 500u);  // of the target
  EXPECT_NE(m.find("in-linked-dir"), nullptr);
}

TEST_F(InstalledModelsTest, SplitModelsAreOneModel) {
  make_file(models_ / "big-q4_k_m-00001-of-00002.gguf", 300);
  make_file(models_ / "big-q4_k_m-00002-of-00002.gguf", 200);
  make_file(models_ / "orphan-00002-of-00002.gguf", 5);  // no first part
  InstalledModels m = scan();
  ASSERT_EQ(m.models().size(), 1u);
  const InstalledModel& big = m.models()[0];
  EXPECT_EQ(big.id, "big-q4_k_m");
  EXPECT_EQ(big.size_bytes, 500u);
  EXPECT_EQ(big.parts.size(), 2u);
  EXPECT_EQ(big.quantization, "Q4_K_M");
  ASSERT_TRUE(m.remove("big-q4_k_m").ok());
  EXPECT_FALSE(fs::exists(models_ / "big-q4_k_m-00001-of-00002.gguf"));
  EXPECT_FALSE(fs::exists(models_ / "big-q4_k_m-00002-of-00002.gguf"));
}

TEST_F(InstalledModelsTest, ExplicitPaths) {
  make_file(outside_ / "mine.gguf", 42);
  make_file(outside_ / "notes.txt", 1);
  make_file(models_ / "inside.gguf", 7);
  InstalledModels m = scan({(outside_ / "mine.gguf").string(), (outside_ / "gone.gguf").string(),
                            (models_ / "inside.gguf").string()});
  ASSERT_EQ(m.models().size(), 2u);  // inside.gguf once
  EXPECT_TRUE(m.find("mine")->external);
  EXPECT_FALSE(m.find("inside")->external);
  ASSERT_EQ(m.missing_paths().size(), 1u);
  EXPECT_EQ(m.missing_paths()[0], (outside_ / "gone.gguf").string());
  auto bad = InstalledModels::scan(models_.string(), nullptr, {(outside_ / "notes.txt").string()});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(InstalledModelsTest, RemoveDeletesOnlyInsideTheModelsDirectory) {
  make_file(models_ / "org" / "X-GGUF" / "x.gguf", 10);
  make_file(outside_ / "target.gguf", 10);
  make_file(outside_ / "external.gguf", 10);
  fs::create_symlink(outside_ / "target.gguf", models_ / "link.gguf");
  InstalledModels m = scan({(outside_ / "external.gguf").string()});
  ASSERT_EQ(m.models().size(), 3u);

  EXPECT_EQ(m.remove("nope").code(), StatusCode::kNotFound);
  Status st = m.remove("external");
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.to_string();
  EXPECT_TRUE(fs::exists(outside_ / "external.gguf"));

  ASSERT_TRUE(m.remove("link").ok());
  EXPECT_FALSE(fs::is_symlink(models_ / "link.gguf"));
  EXPECT_TRUE(fs::exists(outside_ / "target.gguf"));  // the link went, not its target

  ASSERT_TRUE(m.remove("x").ok());
  EXPECT_FALSE(fs::exists(models_ / "org" / "X-GGUF" / "x.gguf"));
  EXPECT_EQ(m.find("x"), nullptr);
  ASSERT_EQ(m.models().size(), 1u);
  EXPECT_EQ(m.models()[0].id, "external");
}

TEST(ModelIds, Validator) {
  for (const char* ok :
       {"qwen3-4b", "tiny-chat", "Llama-3.2-1B-Instruct-Q4_K_M", "org/name", "a.b_c"}) {
    EXPECT_TRUE(validate_model_id(ok).ok()) << ok;
  }
  const std::vector<std::string> bad_ids = {"",
                                            "../etc/passwd",
                                            "a/../b",
                                            "..",
                                            ".",
                                            "/abs",
                                            "C:\\x",
                                            "c:x",
                                            "a\\b",
                                            "a//b",
                                            "a/",
                                            "a/./b",
                                            std::string("a\0b", 3),
                                            "a\nb",
                                            std::string(201, 'x')};
  for (const std::string& bad : bad_ids) {
    EXPECT_EQ(validate_model_id(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

// Each test sets the variables it reads and restores them.
class StorePathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"IMPETUS_HOME", "IMPETUS_MODELS", "HOME"}) {
      const char* old = std::getenv(v);
      saved_.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
    }
  }
  void TearDown() override {
    for (auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(StorePathsTest, DefaultsUnderHome) {
  unsetenv("IMPETUS_HOME");
  unsetenv("IMPETUS_MODELS");
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(impetus_home(), "/home/someone/.impetus");
  EXPECT_EQ(models_dir(), "/home/someone/.impetus/models");
  EXPECT_EQ(database_path(), "/home/someone/.impetus/impetus.db");
}

TEST_F(StorePathsTest, VariablesOverride) {
  setenv("HOME", "/home/someone", 1);
  setenv("IMPETUS_HOME", "/data/imp", 1);
  setenv("IMPETUS_MODELS", "", 1);  // empty: unset
  EXPECT_EQ(impetus_home(), "/data/imp");
  EXPECT_EQ(models_dir(), "/data/imp/models");
  EXPECT_EQ(database_path(), "/data/imp/impetus.db");
  setenv("IMPETUS_MODELS", "/mnt/models", 1);
  EXPECT_EQ(models_dir(), "/mnt/models");
  setenv("IMPETUS_HOME", "rel/home", 1);
  EXPECT_EQ(impetus_home(), (fs::current_path() / "rel/home").string());
}

}  // namespace
}  // namespace impetus
