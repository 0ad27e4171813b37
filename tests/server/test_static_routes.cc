// The dashboard's static routes on a real HttpServer (127.0.0.1, port 0):
// content types, caching, precompressed gzip, the client-route fallback to
// index.html, API paths left alone, and path traversal refused in every
// spelling (encoded dots and slashes, backslashes, NUL, dot-files, symlinks).
#include "server/routes/static_routes.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/http/test_client.h"

namespace impetus {
namespace {

namespace fs = std::filesystem;
using http::test::Client;
using http::test::Reply;

const char kIndex[] = "<!doctype html><title>dash</title><div id=root></div>";
const char kApp[] = "console.log('app');";
const char kAppGz[] = "GZIPPED-APP-BYTES";  // stands in for the gzip twin: the test checks which one is sent
const char kSecret[] = "TOP-SECRET-CONTENT";

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class StaticRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("impetus_static_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    web_ = base_ / "web";
    write(web_ / "index.html", kIndex);
    write(web_ / "assets" / "index-AbC123.js", kApp);
    write(web_ / "assets" / "index-AbC123.js.gz", kAppGz);
    write(web_ / "assets" / "style-x1.css", "body{}");
    write(web_ / "favicon.svg", "<svg/>");
    write(web_ / ".hidden", kSecret);
    write(base_ / "secret.txt", kSecret);
    write(base_ / "web-evil" / "secret.txt", kSecret);  // shares the prefix "web"
    fs::create_symlink(base_ / "secret.txt", web_ / "link.txt");
    fs::create_directory_symlink(base_, web_ / "up");

    http::Router router;
    router.add("GET", "/api/health", [](const http::HttpRequest&, std::shared_ptr<http::Responder> r) {
      http::HttpResponse res;
      res.body = R"({"status":"healthy"})";
      r->respond(std::move(res));
    });
    router.add("POST", "/v1/chat/completions", [](const http::HttpRequest&, std::shared_ptr<http::Responder> r) {
      r->respond(http::HttpResponse{});
    });
    add_static_routes(router, web_.string());
    server_ = http::test::start_server(std::move(router));
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }
  Reply get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Client c(server_->port());
    return c.request("GET", target, "", headers);
  }

  fs::path base_, web_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(StaticRoutesTest, ServesIndexAtRootWithoutCaching) {
  for (const char* target : {"/", "/index.html"}) {
    Reply r = get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, kIndex) << target;
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8") << target;
    EXPECT_EQ(r.header("cache-control"), "no-cache") << target;
    EXPECT_NE(r.header("content-security-policy").find("default-src 'self'"), std::string::npos);
    EXPECT_FALSE(r.header("etag").empty());
  }
}

TEST_F(StaticRoutesTest, HashedAssetsAreImmutableWithTheirContentType) {
  Reply r = get("/assets/index-AbC123.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kApp);
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r.header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.header("content-encoding"), "");

  r = get("/assets/style-x1.css");
  EXPECT_EQ(r.header("content-type"), "text/css; charset=utf-8");
  r = get("/favicon.svg");
  EXPECT_EQ(r.header("content-type"), "image/svg+xml");
  EXPECT_EQ(r.header("cache-control"), "no-cache");
}

TEST_F(StaticRoutesTest, SendsThePrecompressedTwinWhenGzipIsAccepted) {
  Reply r = get("/assets/index-AbC123.js", {{"Accept-Encoding", "br, gzip;q=0.8, deflate"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kAppGz);
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");

  r = get("/assets/index-AbC123.js", {{"Accept-Encoding", "gzip;q=0, br"}});
  EXPECT_EQ(r.body, kApp);
  EXPECT_EQ(r.header("content-encoding"), "");
  // A file without a twin is sent as it is.
  r = get("/favicon.svg", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(r.body, "<svg/>");
  EXPECT_EQ(r.header("content-encoding"), "");
}

TEST_F(StaticRoutesTest, AnswersNotModifiedToAMatchingEtag) {
  Reply first = get("/assets/index-AbC123.js");
  const std::string etag = first.header("etag");
  ASSERT_FALSE(etag.empty());
  Reply again = get("/assets/index-AbC123.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  // The gzip representation has its own tag.
  Reply gz = get("/assets/index-AbC123.js", {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
  EXPECT_EQ(gz.status, 200);
  EXPECT_NE(gz.header("etag"), etag);
}

TEST_F(StaticRoutesTest, ClientRoutesFallBackToTheApp) {
  for (const char* target : {"/models", "/chat", "/benchmarks/", "/models/qwen2.5-7b", "/settings?tab=cache"}) {
    Reply r = get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, kIndex) << target;
    EXPECT_EQ(r.header("cache-control"), "no-cache") << target;
  }
  // A missing asset is a 404, not the app (which would be read as broken JavaScript).
  for (const char* target : {"/assets/missing-123.js", "/assets/anything", "/logo.png", "/app.js"}) {
    Reply r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body.find("<!doctype"), std::string::npos) << target;
  }
}

TEST_F(StaticRoutesTest, NeverShadowsTheApi) {
  Reply r = get("/api/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"healthy"})");
  for (const char* target : {"/api/hardware/info", "/api", "/v1/models", "/v1/chat/completions", "/ws", "/metrics"}) {
    r = get(target);
    EXPECT_EQ(r.status, 404) << target;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << target << ": " << r.body;
    EXPECT_NE(j["error"]["message"].get<std::string>().find("no route"), std::string::npos) << target;
  }
  Client c(server_->port());
  EXPECT_EQ(c.request("POST", "/v1/chat/completions").status, 200);
}

TEST_F(StaticRoutesTest, HeadAnswersWithoutABody) {
  Client c(server_->port());
  Reply r = c.request("HEAD", "/assets/index-AbC123.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("content-length"), std::to_string(sizeof(kApp) - 1));
}

TEST_F(StaticRoutesTest, RefusesPathTraversalInEverySpelling) {
  const char* targets[] = {
      "/../secret.txt",
      "/assets/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/%2e%2e/secret.txt",
      "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/..%2fsecret.txt",
      "/..%5csecret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/./../secret.txt",
      "/.%2e/secret.txt",
      "/index.html%00/../../secret.txt",
      "/%00",
      "/link.txt",             // a symlink to a file outside
      "/up/secret.txt",        // through a symlinked directory
      "/up/web-evil/secret.txt",
      "/.hidden",
      "/%2ehidden",
      "//etc/passwd",
      "/%2fetc%2fpasswd",
  };
  for (const char* target : targets) {
    Reply r = get(target);
    // Refused, or (for a path that reads as a client route, like "//etc/passwd") the app itself.
    EXPECT_TRUE(r.status == 404 || r.status == 400 || (r.status == 200 && r.body == kIndex))
        << target << " -> " << r.status << " " << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
}

TEST(StaticFilePath, StaysInsideTheDirectory) {
  const fs::path dir = fs::temp_directory_path() / ("impetus_static_fp_" + std::to_string(getpid()));
  fs::create_directories(dir / "assets");
  const std::string root = fs::weakly_canonical(dir).string();
  EXPECT_EQ(static_file_path(dir.string(), "/assets/a.js"), root + "/assets/a.js");
  EXPECT_EQ(static_file_path(dir.string(), "/"), root);
  EXPECT_EQ(static_file_path(dir.string(), "/a/../b"), std::nullopt);
  EXPECT_EQ(static_file_path(dir.string(), "/a/./b"), std::nullopt);
  EXPECT_EQ(static_file_path(dir.string(), "/a\\..\\b"), std::nullopt);
  EXPECT_EQ(static_file_path(dir.string(), std::string_view("/a\0b", 4)), std::nullopt);
  fs::remove_all(dir);
}

TEST(StaticContentType, ByExtension) {
  EXPECT_EQ(static_content_type("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(static_content_type("a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("a.woff2"), "font/woff2");
  EXPECT_EQ(static_content_type("a.wasm"), "application/wasm");
  EXPECT_EQ(static_content_type("noext"), "application/octet-stream");
  EXPECT_EQ(static_content_type(".js"), "application/octet-stream");
}

TEST(AcceptsGzip, HonoursQualityAndWildcard) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
  EXPECT_TRUE(accepts_gzip("br;q=1.0, GZIP;q=0.5"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000"));
  EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("br, *;q=0"));
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(FindWebDir, EnvironmentThenInstalledLayout) {
  const fs::path base = fs::temp_directory_path() / ("impetus_webdir_" + std::to_string(getpid()));
  fs::remove_all(base);
  write(base / "env" / "index.html", kIndex);
  write(base / "prefix" / "share" / "impetus" / "web" / "index.html", kIndex);
  write(base / "prefix" / "bin" / "impetus", "");
  const std::string exe = (base / "prefix" / "bin" / "impetus").string();
  {
    ScopedEnv env("IMPETUS_WEB_DIR", (base / "env").c_str());
    EXPECT_EQ(find_web_dir(exe), fs::weakly_canonical(base / "env").string());
  }
  {
    ScopedEnv env("IMPETUS_WEB_DIR", (base / "nothing-here").c_str());
    EXPECT_EQ(find_web_dir(exe), "");  // an explicit but wrong directory is not second-guessed
  }
  {
    ScopedEnv env("IMPETUS_WEB_DIR", nullptr);
    EXPECT_EQ(find_web_dir(exe), fs::weakly_canonical(base / "prefix" / "share" / "impetus" / "web").string());
  }
  fs::remove_all(base);
}

TEST(AddStaticRoutes, RegistersNothingWithoutAnIndex) {
  http::Router router;
  add_static_routes(router, "/nonexistent/impetus/web");
  EXPECT_EQ(router.match("GET", "/").handler, nullptr);
  EXPECT_EQ(router.match("GET", "/models").handler, nullptr);
}

}  // namespace
}  // namespace impetus
