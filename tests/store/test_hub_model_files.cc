// Model references, path validation and quantization picking (store/model_files.h).
#include <gtest/gtest.h>

#include "store/model_files.h"

namespace impetus {
namespace {

HubFile gguf(const std::string& path) { return HubFile{path, 100, std::string(64, 'a'), "", true}; }

TEST(HubModelFiles, RepoIdsAccepted) {
  for (const char* ok : {"TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF", "a/b",
                         "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "user_1/model.v2"}) {
    EXPECT_TRUE(validate_repo_id(ok).ok()) << ok;
  }
}

TEST(HubModelFiles, RepoIdsRejected) {
  for (const char* bad : {"", "noslash", "a/b/c", "/b", "a/", "../b", "a/..", "a/.hidden", "-a/b",
                          "a b/c", "a/b\\c", "a/b?x", "a/b%2f", "a/b:c"}) {
    Status st = validate_repo_id(bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HubModelFiles, FilePathsValidated) {
  EXPECT_TRUE(validate_repo_file("model-Q4_K_M.gguf").ok());
  EXPECT_TRUE(validate_repo_file("sub/dir/model.gguf").ok());
  for (const char* bad : {"", "../x.gguf", "a/../../x", "/etc/passwd", "a\\b.gguf", "a//b", "./x",
                          "a/.", "a\nb", "x\x7f"}) {
    EXPECT_EQ(validate_repo_file(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(validate_repo_file(std::string(513, 'a')).code(), StatusCode::kInvalidArgument);
}

TEST(HubModelFiles, ParsesTheThreeForms) {
  auto q = parse_model_ref("TheBloke/Llama-GGUF:Q4_K_M");
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->repo, "TheBloke/Llama-GGUF");
  EXPECT_EQ(q->file, "");
  EXPECT_EQ(q->quantization, "Q4_K_M");

  auto f = parse_model_ref("TheBloke/Llama-GGUF/sub/llama.Q8_0.gguf");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(f->repo, "TheBloke/Llama-GGUF");
  EXPECT_EQ(f->file, "sub/llama.Q8_0.gguf");

  auto r = parse_model_ref("owner/name", "q8_0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->quantization, "q8_0");
  EXPECT_TRUE(parse_model_ref("owner/name:Q8_0", "q8_0").ok());  // agreeing, case-insensitively
}

TEST(HubModelFiles, BadReferencesRejected) {
  for (const char* bad :
       {"", "name-only", "owner/name:", "owner/name/../../etc/passwd", "owner/name/a\\b.gguf",
        "../x/y", "owner/name/f.gguf:Q4_0", "owner/name:Q4/0", "owner/name:Q4 0"}) {
    EXPECT_EQ(parse_model_ref(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(parse_model_ref("owner/name:Q4_0", "Q8_0").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HubModelFiles, PicksTheWholeTokenQuantization) {
  const std::vector<HubFile> files = {gguf("llama-Q4_K_M.gguf"), gguf("llama-Q4_K_S.gguf"),
                                      gguf("llama-Q8_0.gguf"), gguf("llama-IQ4_XS.gguf"),
                                      HubFile{"README.md", 5, "", "x", false}};
  auto m = pick_gguf(files, "q4_k_m", "o/n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "llama-Q4_K_M.gguf");
  auto x = pick_gguf(files, "Q4_XS", "o/n");  // only inside "IQ4_XS": falls back to the substring
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(x->path, "llama-IQ4_XS.gguf");
  EXPECT_EQ(pick_gguf(files, "Q8_0", "o/n")->path, "llama-Q8_0.gguf");
}

TEST(HubModelFiles, AmbiguousAndMissingListCandidates) {
  const std::vector<HubFile> files = {gguf("llama-Q4_K_M.gguf"), gguf("llama-Q4_K_S.gguf")};
  auto amb = pick_gguf(files, "Q4_K", "o/n");
  EXPECT_EQ(amb.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(amb.status().message().find("llama-Q4_K_M.gguf"), std::string::npos);
  EXPECT_NE(amb.status().message().find("llama-Q4_K_S.gguf"), std::string::npos);
  auto none = pick_gguf(files, "Q6_K", "o/n");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("Q6_K"), std::string::npos);
  EXPECT_NE(none.status().message().find("llama-Q4_K_S.gguf"), std::string::npos);
  EXPECT_EQ(pick_gguf(files, "", "o/n").status().code(),
            StatusCode::kInvalidArgument);  // two, none named
  EXPECT_EQ(pick_gguf({gguf("only.gguf")}, "", "o/n")->path, "only.gguf");
  EXPECT_EQ(pick_gguf({}, "", "o/n").status().code(), StatusCode::kNotFound);
}

TEST(HubModelFiles, ProjectorsAndSplitFiles) {
  auto m = pick_gguf({gguf("mmproj-model-f16.gguf"), gguf("model-f16.gguf")}, "f16", "o/n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->path, "model-f16.gguf");
  auto split = pick_gguf(
      {gguf("big-Q4_0-00001-of-00002.gguf"), gguf("big-Q4_0-00002-of-00002.gguf")}, "Q4_0", "o/n");
  EXPECT_EQ(split.status().code(), StatusCode::kUnimplemented);
}

TEST(HubModelFiles, LocalPath) {
  EXPECT_EQ(local_model_path("/m/", "o/n", "sub/f.gguf"), "/m/o/n/sub/f.gguf");
  EXPECT_EQ(local_model_path("/m", "o/n", "f.gguf"), "/m/o/n/f.gguf");
}

}  // namespace
}  // namespace impetus
