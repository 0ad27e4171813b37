// download_file(): full, resumed, corrupted, cancelled and failing
// transfers against the in-process MockHub.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "store/download_file.h"
#include "store/mock_hub.h"
#include "store/sha256.h"
#include "testing/paths.h"

namespace impetus {
namespace {

using namespace std::chrono_literals;
using testing::MockHub;
namespace fs = std::filesystem;

std::string random_bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class DownloadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.start());
    content_ = random_bytes(200000, 1);
    hub_.add_file("org/m", "model.gguf", content_);
    dir_ = impetus::testing::scratch_dir(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);  // fresh under --gtest_repeat too
    fs::create_directories(dir_);
    options_.retry_base_delay = 1ms;
    options_.retry_max_delay = 5ms;
    options_.progress_interval = 20ms;
  }
  FileDownload file(bool with_sha = true) {
    FileDownload f;
    f.url = hub_.endpoint() + "/org/m/resolve/main/model.gguf";
    f.dest = dir_ + "/org/m/model.gguf";
    f.sha256 = with_sha ? sha256_hex(content_) : "";
    f.size = content_.size();
    return f;
  }
  bool nothing_left() const {
    return !fs::exists(dir_ + "/org/m/model.gguf") &&
           !fs::exists(dir_ + "/org/m/model.gguf.partial");
  }

  MockHub hub_;
  std::string content_;
  std::string dir_;
  DownloaderOptions options_;
};

TEST_F(DownloadFileTest, DownloadsAndVerifies) {
  std::vector<DownloadProgress> seen;
  const Status st = download_file(file(), options_, nullptr,
                                  [&](const DownloadProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
  EXPECT_FALSE(fs::exists(dir_ + "/org/m/model.gguf.partial"));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().phase, DownloadPhase::kDone);
  EXPECT_EQ(seen.back().bytes_done, content_.size());
  EXPECT_EQ(seen.back().bytes_total, content_.size());
  // The Hub redirected to the CDN, which got one plain GET.
  auto cdn = hub_.requests_to("/cdn/");
  ASSERT_EQ(cdn.size(), 1u);
  EXPECT_EQ(cdn[0].header("range"), "");
}

TEST_F(DownloadFileTest, ResumesAfterTheServerDrops) {
  hub_.drop_after_once(70000);
  const Status st = download_file(file(), options_);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
  auto cdn = hub_.requests_to("/cdn/");
  ASSERT_EQ(cdn.size(), 2u);
  EXPECT_EQ(cdn[0].header("range"), "");
  EXPECT_EQ(cdn[1].header("range"), "bytes=70000-");
}

TEST_F(DownloadFileTest, ResumesAnExistingPartialFile) {
  fs::create_directories(dir_ + "/org/m");
  std::ofstream(dir_ + "/org/m/model.gguf.partial", std::ios::binary).write(content_.data(), 12345);
  std::vector<DownloadPhase> phases;
  const Status st = download_file(file(), options_, nullptr,
                                  [&](const DownloadProgress& p) { phases.push_back(p.phase); });
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
  auto cdn = hub_.requests_to("/cdn/");
  ASSERT_EQ(cdn.size(), 1u);
  EXPECT_EQ(cdn[0].header("range"), "bytes=12345-");
  EXPECT_EQ(phases.back(), DownloadPhase::kDone);
}

TEST_F(DownloadFileTest, AStalePartialPrefixFailsTheChecksum) {
  // A partial file whose bytes differ from the server's: the resumed file
  // cannot match the digest, so it is rejected rather than kept.
  fs::create_directories(dir_ + "/org/m");
  std::ofstream(dir_ + "/org/m/model.gguf.partial", std::ios::binary) << "garbage prefix";
  const Status st = download_file(file(), options_);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(nothing_left());
}

TEST_F(DownloadFileTest, RestartsWhenTheServerIgnoresRange) {
  hub_.set_ignore_range(true);
  fs::create_directories(dir_ + "/org/m");
  std::ofstream(dir_ + "/org/m/model.gguf.partial", std::ios::binary) << "stale stale stale";
  const Status st = download_file(file(), options_);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
  EXPECT_EQ(hub_.requests_to("/cdn/").at(0).header("range"), "bytes=17-");
}

TEST_F(DownloadFileTest, ChecksumMismatchLeavesNothing) {
  hub_.set_corrupt(true);
  const Status st = download_file(file(), options_);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(sha256_hex(content_)), std::string::npos);
  EXPECT_TRUE(nothing_left());
}

TEST_F(DownloadFileTest, UsesTheLinkedEtagWhenNoDigestIsGiven) {
  hub_.set_corrupt(true);  // X-Linked-Etag still names the true content
  const Status st = download_file(file(/*with_sha=*/false), options_);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_TRUE(nothing_left());
  hub_.set_corrupt(false);
  ASSERT_TRUE(download_file(file(false), options_).ok());
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
}

TEST_F(DownloadFileTest, CancelRemovesThePartialFile) {
  hub_.set_trickle(4096, 5ms);  // ~0.25 s for the whole file
  DownloadControl control;
  std::atomic<uint64_t> done{0};
  std::thread canceller([&] {
    while (done.load() < 20000) std::this_thread::sleep_for(1ms);
    control.cancel = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  const Status st = download_file(file(), options_, &control,
                                  [&](const DownloadProgress& p) { done = p.bytes_done; });
  canceller.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_TRUE(nothing_left());
}

TEST_F(DownloadFileTest, StopKeepsThePartialFileForLater) {
  hub_.set_trickle(4096, 5ms);
  DownloadControl control;
  std::atomic<uint64_t> done{0};
  std::thread stopper([&] {
    while (done.load() < 20000) std::this_thread::sleep_for(1ms);
    control.stop = true;
  });
  const Status st = download_file(file(), options_, &control,
                                  [&](const DownloadProgress& p) { done = p.bytes_done; });
  stopper.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  const auto kept = fs::file_size(dir_ + "/org/m/model.gguf.partial");
  EXPECT_GE(kept, 20000u);
  hub_.set_trickle(0, 0ms);
  ASSERT_TRUE(download_file(file(), options_).ok());
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
  EXPECT_EQ(hub_.requests_to("/cdn/").back().header("range"),
            "bytes=" + std::to_string(kept) + "-");
}

TEST_F(DownloadFileTest, RetriesServerErrors) {
  hub_.fail_next_downloads(2, 503);
  const Status st = download_file(file(), options_);
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(hub_.requests_to("/cdn/").size(), 3u);
  EXPECT_EQ(read_file(dir_ + "/org/m/model.gguf"), content_);
}

TEST_F(DownloadFileTest, GivesUpAfterMaxAttempts) {
  hub_.fail_next_downloads(100, 500);
  options_.max_attempts = 3;
  const Status st = download_file(file(), options_);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("3 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(hub_.requests_to("/cdn/").size(), 3u);
  EXPECT_TRUE(nothing_left());
}

TEST_F(DownloadFileTest, UnauthorizedAndMissingAreNotRetried) {
  hub_.set_forced_status(401);
  Status st = download_file(file(), options_);
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("HF_TOKEN"), std::string::npos) << st.message();
  EXPECT_EQ(hub_.requests().size(), 1u);
  hub_.set_forced_status(0);
  FileDownload missing = file();
  missing.url = hub_.endpoint() + "/org/m/resolve/main/absent.gguf";
  missing.what = "file absent.gguf of org/m";
  st = download_file(missing, options_);
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("absent.gguf of org/m"), std::string::npos) << st.message();
  EXPECT_TRUE(nothing_left());
}

TEST_F(DownloadFileTest, ReportsProgressWhileSlow) {
  hub_.set_trickle(8192, 10ms);  // ~0.25 s
  std::mutex mu;
  std::vector<DownloadProgress> seen;
  const Status st = download_file(file(), options_, nullptr, [&](const DownloadProgress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
  });
  ASSERT_TRUE(st.ok()) << st.to_string();
  size_t mid = 0;
  for (const auto& p : seen) {
    if (p.phase == DownloadPhase::kDownloading && p.bytes_done > 0 &&
        p.bytes_done < content_.size()) {
      ++mid;
      EXPECT_GT(p.speed_bps, 0.0);
      EXPECT_GT(p.eta_s, 0.0);
    }
  }
  EXPECT_GE(mid, 3u);  // every ~20 ms over ~250 ms
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done);
}

TEST_F(DownloadFileTest, RejectsBadArguments) {
  FileDownload f = file();
  f.sha256 = "xyz";
  EXPECT_EQ(download_file(f, options_).code(), StatusCode::kInvalidArgument);
  options_.require_sha256 = true;
  EXPECT_EQ(download_file(file(false), options_).code(),
            StatusCode::kOk);  // X-Linked-Etag supplies it
  hub_.add_file("org/m", "plain.bin", "plain", /*lfs=*/false);
  FileDownload plain = file(false);
  plain.url = hub_.endpoint() + "/org/m/resolve/main/plain.bin";
  plain.size = 5;
  EXPECT_EQ(download_file(plain, options_).code(), StatusCode::kDataLoss);  // no digest known
}

}  // namespace
}  // namespace impetus
