// make_catalog_resolver(): catalog ids to Hub files, everything else to the fallback.
#include <gtest/gtest.h>

#include "store/download_catalog_resolver.h"
#include "store/mock_hub.h"
#include "store/sha256.h"

namespace impetus {
namespace {

const char kCatalog[] = R"json({"version": 1, "models": [{
  "id": "tiny-chat", "name": "Tiny Chat", "repo": "org/tiny-GGUF", "revision": "0123456789abcdef0123456789abcdef01234567",
  "architecture": "llama", "parameters": "1.1B", "context_length": 2048, "license": "apache-2.0",
  "category": "chat", "recommended_for": ["chat"], "features": [], "description": "A tiny model.",
  "min_memory_gb": 1.0, "popularity_score": 50,
  "files": {"Q4_K_M": {"file": "tiny-Q4_K_M.gguf", "size_bytes": 700, "size_source": "hub tree (exact)"},
            "Q8_0": {"file": "tiny-Q8_0.gguf", "size_bytes": 1100, "size_source": "hub tree (exact)"}}}]})json";

class CatalogResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.start());
    hub_.add_file("org/tiny-GGUF", "tiny-Q4_K_M.gguf", std::string(700, '4'));
    hub_.add_file("org/tiny-GGUF", "tiny-Q8_0.gguf", std::string(1100, '8'));
    hub_.add_file("org/other", "other-Q4_0.gguf", "other");
    auto catalog = Catalog::parse(kCatalog);
    ASSERT_TRUE(catalog.ok()) << catalog.status().to_string();
    HubOptions o;
    o.endpoint = hub_.endpoint();
    auto hf = std::make_shared<HfClient>(o);
    resolve_ = make_catalog_resolver(std::make_shared<Catalog>(std::move(*catalog)), hf,
                                     make_hub_resolver(hf));
  }
  testing::MockHub hub_;
  DownloadResolver resolve_;
};

TEST_F(CatalogResolverTest, CatalogIdsPickTheirFile) {
  auto d = resolve_("tiny-chat", "");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->repo, "org/tiny-GGUF");
  EXPECT_EQ(d->file, "tiny-Q4_K_M.gguf");  // the default quantization
  EXPECT_EQ(d->sha256, sha256_hex(std::string(700, '4')));
  EXPECT_EQ(d->size, 700u);
  EXPECT_EQ(resolve_("tiny-chat", "q8_0")->file, "tiny-Q8_0.gguf");
  EXPECT_EQ(resolve_("tiny-chat:Q8_0", "")->file, "tiny-Q8_0.gguf");
}

TEST_F(CatalogResolverTest, ExplainsWhatIsMissing) {
  auto q = resolve_("tiny-chat", "Q6_K");
  EXPECT_EQ(q.status().code(), StatusCode::kNotFound);
  EXPECT_NE(q.status().message().find("Q4_K_M, Q8_0"), std::string::npos) << q.status().message();
  auto id = resolve_("no-such-model", "");
  EXPECT_EQ(id.status().code(), StatusCode::kNotFound);
  EXPECT_NE(id.status().message().find("owner/name:QUANT"), std::string::npos);
  EXPECT_EQ(resolve_("tiny-chat:Q8_0", "Q4_K_M").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CatalogResolverTest, HubReferencesGoToTheFallback) {
  auto d = resolve_("org/other:Q4_0", "");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_EQ(d->file, "other-Q4_0.gguf");
}

}  // namespace
}  // namespace impetus
