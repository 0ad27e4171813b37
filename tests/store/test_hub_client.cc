// HfClient and the Hub resolver against the in-process MockHub.
#include <gtest/gtest.h>

#include <cstdlib>

#include "store/download_resolver.h"
#include "store/hub_client.h"
#include "store/mock_hub.h"
#include "store/sha256.h"

namespace impetus {
namespace {

using testing::MockHub;

class HubClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.start());
    hub_.add_file("org/model-GGUF", "model-Q4_K_M.gguf", std::string(3000, 'm'));
    hub_.add_file("org/model-GGUF", "model-Q8_0.gguf", std::string(5000, 'e'));
    hub_.add_file("org/model-GGUF", "sub/extra-F16.gguf", "f16 bytes");
    hub_.add_file("org/model-GGUF", "README.md", "# readme", /*lfs=*/false);
  }
  HfClient client(const std::string& token = "") {
    HubOptions o;
    o.endpoint = hub_.endpoint() + "/";  // a trailing '/' is dropped
    o.http.token = token;
    return HfClient(o);
  }
  MockHub hub_;
};

TEST_F(HubClientTest, ListsFilesWithLfsDigests) {
  auto files = client().list_files("org/model-GGUF");
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  ASSERT_EQ(files->size(), 4u);  // the "sub" directory entry is skipped
  std::map<std::string, HubFile> by_path;
  for (const auto& f : *files) by_path[f.path] = f;
  const HubFile& q4 = by_path.at("model-Q4_K_M.gguf");
  EXPECT_TRUE(q4.lfs);
  EXPECT_EQ(q4.size, 3000u);
  EXPECT_EQ(q4.sha256, sha256_hex(std::string(3000, 'm')));
  EXPECT_EQ(by_path.at("sub/extra-F16.gguf").sha256, sha256_hex("f16 bytes"));
  const HubFile& readme = by_path.at("README.md");
  EXPECT_FALSE(readme.lfs);
  EXPECT_EQ(readme.sha256, "");
  EXPECT_EQ(readme.size, 8u);
  EXPECT_EQ(readme.git_oid.size(), 40u);
  auto reqs = hub_.requests_to("/api/models/org/model-GGUF/tree/main");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].query, "recursive=true");
}

TEST_F(HubClientTest, FollowsTreePages) {
  hub_.set_tree_page_size(2);
  auto files = client().list_files("org/model-GGUF");
  ASSERT_TRUE(files.ok()) << files.status().to_string();
  EXPECT_EQ(files->size(), 4u);
  EXPECT_EQ(hub_.requests_to("/api/models/").size(), 3u);  // 5 entries, 2 per page
}

TEST_F(HubClientTest, SendsTheTokenAndExplainsRefusals) {
  hub_.set_required_token("hf_secret");
  auto denied = client().list_files("org/model-GGUF");
  EXPECT_EQ(denied.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(denied.status().message().find("HF_TOKEN"), std::string::npos)
      << denied.status().message();
  auto wrong = client("hf_wrong").list_files("org/model-GGUF");
  EXPECT_EQ(wrong.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find("HF_TOKEN"), std::string::npos);
  auto ok = client("hf_secret").list_files("org/model-GGUF");
  ASSERT_TRUE(ok.ok()) << ok.status().to_string();
  EXPECT_EQ(hub_.requests().back().header("authorization"), "Bearer hf_secret");
  hub_.set_forced_status(403);
  auto gated = client("hf_secret").list_files("org/model-GGUF");
  EXPECT_EQ(gated.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(gated.status().message().find("gated"), std::string::npos);
}

TEST_F(HubClientTest, NotFoundNamesTheRepoAndFile) {
  auto repo = client().list_files("org/missing");
  EXPECT_EQ(repo.status().code(), StatusCode::kNotFound);
  EXPECT_NE(repo.status().message().find("org/missing"), std::string::npos);
  auto file = client().head_file("org/model-GGUF", "nope.gguf");
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find("nope.gguf"), std::string::npos);
  hub_.set_forced_status(503);
  EXPECT_EQ(client().list_files("org/model-GGUF").status().code(), StatusCode::kUnavailable);
}

TEST_F(HubClientTest, HeadReadsLinkedHeaders) {
  auto f = client().head_file("org/model-GGUF", "model-Q8_0.gguf");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(f->lfs);
  EXPECT_EQ(f->size, 5000u);
  EXPECT_EQ(f->sha256, sha256_hex(std::string(5000, 'e')));
  auto readme = client().head_file("org/model-GGUF", "README.md");
  ASSERT_TRUE(readme.ok());
  EXPECT_FALSE(readme->lfs);
  EXPECT_EQ(readme->size, 8u);
}

TEST_F(HubClientTest, ResolveUrlEscapes) {
  EXPECT_EQ(client().resolve_url("o/n", "dir/a b+c.gguf"),
            hub_.endpoint() + "/o/n/resolve/main/dir/a%20b%2Bc.gguf");
}

TEST_F(HubClientTest, ResolverHandlesEveryForm) {
  auto resolve = make_hub_resolver(std::make_shared<HfClient>(client()));
  auto q = resolve("org/model-GGUF:q8_0", "");
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->file, "model-Q8_0.gguf");
  EXPECT_EQ(q->size, 5000u);
  EXPECT_EQ(q->sha256, sha256_hex(std::string(5000, 'e')));
  EXPECT_EQ(q->url, hub_.endpoint() + "/org/model-GGUF/resolve/main/model-Q8_0.gguf");
  auto f = resolve("org/model-GGUF/sub/extra-F16.gguf", "");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->file, "sub/extra-F16.gguf");
  auto sep = resolve("org/model-GGUF", "Q4_K_M");
  ASSERT_TRUE(sep.ok());
  EXPECT_EQ(sep->file, "model-Q4_K_M.gguf");
  auto amb = resolve("org/model-GGUF", "");
  EXPECT_EQ(amb.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(amb.status().message().find("model-Q8_0.gguf"), std::string::npos);
  auto missing = resolve("org/model-GGUF/nope.gguf", "");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("model-Q4_K_M.gguf"),
            std::string::npos);  // lists what exists
  EXPECT_EQ(resolve("org/model-GGUF:Q2_K", "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(resolve("../etc/passwd", "").status().code(), StatusCode::kInvalidArgument);
}

TEST(HubOptionsTest, FromEnvironment) {
  ::setenv("HF_ENDPOINT", "http://mirror.example:8080/", 1);
  ::setenv("HF_TOKEN", "hf_abc", 1);
  HubOptions o = HubOptions::from_env();
  EXPECT_EQ(o.endpoint, "http://mirror.example:8080");
  EXPECT_EQ(o.http.token, "hf_abc");
  ::unsetenv("HF_ENDPOINT");
  ::unsetenv("HF_TOKEN");
  o = HubOptions::from_env();
  EXPECT_EQ(o.endpoint, "https://huggingface.co");
  EXPECT_EQ(o.http.token, "");
}

TEST(HubTreeParsing, RejectsMalformedAndReadsLinks) {
  EXPECT_EQ(parse_hub_tree("{}").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(parse_hub_tree("[{\"type\":\"file\"}]").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(parse_hub_tree("not json").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(next_page_url("<https://h/api?cursor=a>; rel=\"next\""), "https://h/api?cursor=a");
  EXPECT_EQ(next_page_url("<https://h/p>; rel=\"prev\", <https://h/n>; rel=\"next\""),
            "https://h/n");
  EXPECT_EQ(next_page_url(""), "");
}

}  // namespace
}  // namespace impetus
