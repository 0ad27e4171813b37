// DownloadManager: queueing, concurrency, disk-space refusal, cancellation,
// path validation and callbacks, against the in-process MockHub.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "store/download_manager.h"
#include "store/mock_hub.h"
#include "store/sha256.h"
#include "testing/paths.h"

namespace impetus {
namespace {

using namespace std::chrono_literals;
using testing::MockHub;
namespace fs = std::filesystem;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 3000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::string bytes(size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class DownloadManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hub_.start());
    for (int i = 0; i < 3; ++i) {
      contents_.push_back(bytes(40000, 10 + i));
      hub_.add_file("org/m", "m-Q" + std::to_string(i) + "_0.gguf", contents_.back());
    }
    dir_ = impetus::testing::scratch_dir(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);  // fresh under --gtest_repeat too
    fs::create_directories(dir_);
    options_.models_dir = dir_ + "/models";
    options_.downloader.retry_base_delay = 1ms;
    options_.downloader.progress_interval = 10ms;
    HubOptions ho;
    ho.endpoint = hub_.endpoint();
    hub_client_ = std::make_shared<HfClient>(ho);
  }
  std::unique_ptr<DownloadManager> make(DownloadResolver resolver = nullptr) {
    auto dm = std::make_unique<DownloadManager>(
        options_, resolver ? resolver : make_hub_resolver(hub_client_));
    dm->set_on_complete([this](const DownloadTask& t) {
      std::lock_guard lock(mu_);
      completed_.push_back(t);
    });
    dm->set_on_progress([this](const DownloadTask& t) {
      std::lock_guard lock(mu_);
      progress_.push_back(t);
    });
    return dm;
  }
  size_t n_completed() {
    std::lock_guard lock(mu_);
    return completed_.size();
  }
  bool finished(DownloadManager& dm, const std::string& id) {
    auto t = dm.get(id);
    return t && is_finished(t->status);
  }

  MockHub hub_;
  std::vector<std::string> contents_;
  std::string dir_;
  DownloadManagerOptions options_;
  std::shared_ptr<HfClient> hub_client_;
  std::mutex mu_;
  std::vector<DownloadTask> completed_;
  std::vector<DownloadTask> progress_;
};

TEST_F(DownloadManagerTest, DownloadsAndCallsBack) {
  auto dm = make();
  auto task = dm->submit({"org/m:q1_0", "", true});
  ASSERT_TRUE(task.ok()) << task.status().to_string();
  EXPECT_EQ(task->model_id, "org/m:q1_0");
  EXPECT_EQ(task->repo, "org/m");
  EXPECT_EQ(task->file, "m-Q1_0.gguf");
  EXPECT_EQ(task->path, options_.models_dir + "/org/m/m-Q1_0.gguf");
  EXPECT_EQ(task->total_bytes, 40000u);
  EXPECT_EQ(task->task_id.size(), 36u);
  EXPECT_EQ(task->task_id[14], '4');
  ASSERT_TRUE(eventually([&] { return n_completed() == 1; }));
  auto done = dm->get(task->task_id);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, DownloadStatus::kCompleted);
  EXPECT_EQ(done->progress_percent(), 100.0);
  EXPECT_EQ(done->downloaded_bytes, 40000u);
  EXPECT_GT(done->started_at, 0);
  EXPECT_GE(done->completed_at, done->started_at);
  EXPECT_EQ(done->error, "");
  EXPECT_EQ(read_file(done->path), contents_[1]);
  std::lock_guard lock(mu_);
  EXPECT_TRUE(completed_[0].auto_load);
  EXPECT_EQ(completed_[0].task_id, task->task_id);
  std::set<std::string> statuses;
  for (const auto& p : progress_) statuses.insert(std::string(download_status_name(p.status)));
  EXPECT_TRUE(statuses.count("downloading"));
  EXPECT_TRUE(statuses.count("verifying"));
  EXPECT_TRUE(statuses.count("completed"));
}

TEST_F(DownloadManagerTest, RefusesWhenTheDiskIsShort) {
  uint64_t free_bytes = 43999;  // 40000 * 1.1 = 44000 needed
  options_.free_space = [&](const std::string& dir) -> StatusOr<uint64_t> {
    EXPECT_EQ(dir, options_.models_dir);
    return free_bytes;
  };
  auto dm = make();
  auto refused = dm->submit({"org/m:Q0_0"});
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("disk space"), std::string::npos);
  EXPECT_TRUE(dm->list().empty());
  EXPECT_TRUE(hub_.requests_to("/cdn/").empty());
  free_bytes = 44000;
  EXPECT_TRUE(dm->submit({"org/m:Q0_0"}).ok());
}

TEST_F(DownloadManagerTest, SpaceCountsDownloadsInFlight) {
  hub_.set_trickle(4000, 20ms);  // 0.2 s per file
  options_.free_space = [](const std::string&) -> StatusOr<uint64_t> { return 60000; };
  auto dm = make();
  auto first = dm->submit({"org/m:Q0_0"});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(dm->submit({"org/m:Q1_0"}).status().code(),
            StatusCode::kResourceExhausted);  // 80000 * 1.1 > 60000
  ASSERT_TRUE(dm->cancel(first->task_id).ok());
}

void check_concurrency(DownloadManagerTest* t, MockHub& hub, int limit,
                       const std::vector<DownloadTask>& progress) {
  size_t max_running = 0;
  std::map<std::string, DownloadStatus> now;
  for (const auto& p : progress) {
    now[p.task_id] = p.status;
    size_t running = 0;
    for (const auto& [id, s] : now)
      running += (s == DownloadStatus::kDownloading || s == DownloadStatus::kVerifying);
    max_running = std::max(max_running, running);
  }
  EXPECT_EQ(max_running, static_cast<size_t>(limit));
  EXPECT_EQ(hub.max_concurrent_cdn(), static_cast<size_t>(limit));
  (void)t;
}

TEST_F(DownloadManagerTest, RespectsTheConcurrencyLimit) {
  for (int limit : {1, 2}) {
    SCOPED_TRACE(limit);
    MockHub hub;
    ASSERT_TRUE(hub.start());
    for (int i = 0; i < 3; ++i)
      hub.add_file("org/m", "m-Q" + std::to_string(i) + "_0.gguf", contents_[i]);
    hub.set_trickle(8000, 10ms);  // ~50 ms per file
    HubOptions ho;
    ho.endpoint = hub.endpoint();
    options_.max_concurrent = limit;
    options_.models_dir = dir_ + "/models" + std::to_string(limit);
    {
      std::lock_guard lock(mu_);
      progress_.clear();
      completed_.clear();
    }
    auto dm = make(make_hub_resolver(std::make_shared<HfClient>(ho)));
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      auto t = dm->submit({"org/m:Q" + std::to_string(i) + "_0"});
      ASSERT_TRUE(t.ok()) << t.status().to_string();
      ids.push_back(t->task_id);
    }
    auto queued = dm->get(ids[2]);
    EXPECT_EQ(queued->status, DownloadStatus::kQueued);  // the third waits either way
    ASSERT_TRUE(eventually([&] { return n_completed() == 3; }));
    std::lock_guard lock(mu_);
    check_concurrency(this, hub, limit, progress_);
  }
}

TEST_F(DownloadManagerTest, CancelsQueuedAndRunningTasks) {
  hub_.set_trickle(2000, 10ms);  // 0.2 s per file
  options_.max_concurrent = 1;
  auto dm = make();
  auto running = dm->submit({"org/m:Q0_0"});
  auto queued = dm->submit({"org/m:Q1_0"});
  ASSERT_TRUE(running.ok() && queued.ok());
  auto c1 = dm->cancel(queued->task_id);
  ASSERT_TRUE(c1.ok());
  EXPECT_EQ(c1->status, DownloadStatus::kCancelled);
  ASSERT_TRUE(eventually([&] { return dm->get(running->task_id)->downloaded_bytes > 4000; }));
  const std::string partial = running->path + ".partial";
  EXPECT_TRUE(fs::exists(partial));
  auto c2 = dm->cancel(running->task_id);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->status, DownloadStatus::kCancelled);
  ASSERT_TRUE(eventually([&] { return !fs::exists(partial); }));
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(dm->get(running->task_id)->status, DownloadStatus::kCancelled);
  EXPECT_EQ(dm->get(queued->task_id)->status, DownloadStatus::kCancelled);
  EXPECT_FALSE(fs::exists(running->path));
  EXPECT_EQ(hub_.requests_to("/cdn/").size(), 1u);  // the queued one never started
  EXPECT_EQ(dm->cancel("no-such-task").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(dm->cancel(running->task_id)->status, DownloadStatus::kCancelled);  // idempotent
  // Each cancelled task is reported finished exactly once, also the running
  // one whose transfer stopped after cancel() returned.
  std::this_thread::sleep_for(30ms);
  std::lock_guard lock(mu_);
  ASSERT_EQ(completed_.size(), 2u);
  EXPECT_EQ(completed_[0].task_id, queued->task_id);
  EXPECT_EQ(completed_[1].task_id, running->task_id);
  for (const auto& t : completed_) EXPECT_EQ(t.status, DownloadStatus::kCancelled);
}

TEST_F(DownloadManagerTest, RejectsPathTraversal) {
  auto dm = make();
  for (const char* id : {"../../etc/passwd", "org/m/../../../x.gguf", "/etc/passwd",
                         "org/m/a\\b.gguf", "org/..:Q4_0", "org/m//x.gguf", ""}) {
    EXPECT_EQ(dm->submit({id}).status().code(), StatusCode::kInvalidArgument) << id;
  }
  // A resolver (a catalog, say) that returns an unsafe file is refused too.
  auto evil = make([&](const std::string&, const std::string&) -> StatusOr<DownloadSpec> {
    return DownloadSpec{"org/m", "../../../evil.gguf", hub_.endpoint() + "/x", "", 10};
  });
  EXPECT_EQ(evil->submit({"catalog-id"}).status().code(), StatusCode::kInvalidArgument);
  auto evil_repo = make([&](const std::string&, const std::string&) -> StatusOr<DownloadSpec> {
    return DownloadSpec{"../org", "x.gguf", hub_.endpoint() + "/x", "", 10};
  });
  EXPECT_EQ(evil_repo->submit({"catalog-id"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_ + "/evil.gguf"));
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(DownloadManagerTest, FailuresAreRecorded) {
  auto dm = make();
  EXPECT_EQ(dm->submit({"org/m:Q9_0"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(dm->submit({"org/none:Q0_0"}).status().code(), StatusCode::kNotFound);
  hub_.set_corrupt(true);
  auto task = dm->submit({"org/m:Q2_0"});
  ASSERT_TRUE(task.ok());
  ASSERT_TRUE(eventually([&] { return finished(*dm, task->task_id); }));
  auto t = dm->get(task->task_id);
  EXPECT_EQ(t->status, DownloadStatus::kFailed);
  EXPECT_EQ(t->error_code, StatusCode::kDataLoss);
  EXPECT_NE(t->error.find("checksum mismatch"), std::string::npos);
  EXPECT_GT(t->completed_at, 0);
  EXPECT_FALSE(fs::exists(t->path));
  EXPECT_FALSE(fs::exists(t->path + ".partial"));
  ASSERT_TRUE(eventually([&] { return n_completed() == 1; }));  // reported as finished, failed
  std::lock_guard lock(mu_);
  EXPECT_EQ(completed_[0].status, DownloadStatus::kFailed);
  EXPECT_EQ(completed_[0].error_code, StatusCode::kDataLoss);
}

TEST_F(DownloadManagerTest, DuplicatesAndFilesAlreadyPresent) {
  hub_.set_trickle(8000, 10ms);
  auto dm = make();
  auto a = dm->submit({"org/m:Q0_0"});
  auto b = dm->submit({"org/m/m-Q0_0.gguf", "", true});  // the same file another way
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->task_id, b->task_id);
  EXPECT_FALSE(a->auto_load);
  EXPECT_TRUE(b->auto_load);  // the second request asked to load it
  ASSERT_TRUE(eventually([&] { return n_completed() == 1; }));
  {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(completed_[0].auto_load);
  }
  auto again = dm->submit({"org/m:Q0_0", "", true});
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->task_id, a->task_id);
  EXPECT_EQ(again->status, DownloadStatus::kCompleted);  // on disk already: no transfer
  EXPECT_EQ(n_completed(), 2u);
  EXPECT_EQ(hub_.requests_to("/cdn/").size(), 1u);
  EXPECT_EQ(dm->list().size(), 2u);
  EXPECT_EQ(dm->list()[0].task_id, a->task_id);
}

TEST_F(DownloadManagerTest, SubmitsAsynchronously) {
  auto dm = make();
  std::promise<StatusOr<DownloadTask>> p;
  dm->submit_async({"org/m:Q0_0"}, [&](StatusOr<DownloadTask> r) { p.set_value(std::move(r)); });
  auto f = p.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_TRUE(eventually([&] { return n_completed() == 1; }));
}

TEST_F(DownloadManagerTest, ShutdownKeepsPartialFilesForResume) {
  hub_.set_trickle(2000, 10ms);
  std::string partial;
  {
    auto dm = make();
    auto t = dm->submit({"org/m:Q0_0"});
    ASSERT_TRUE(t.ok());
    partial = t->path + ".partial";
    ASSERT_TRUE(eventually([&] { return dm->get(t->task_id)->downloaded_bytes > 4000; }));
  }
  ASSERT_TRUE(fs::exists(partial));
  const auto kept = fs::file_size(partial);
  hub_.set_trickle(0, 0ms);
  auto dm = make();
  auto t = dm->submit({"org/m:Q0_0"});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->downloaded_bytes, kept);
  ASSERT_TRUE(eventually([&] { return n_completed() == 1; }));
  EXPECT_EQ(read_file(t->path), contents_[0]);
  EXPECT_EQ(hub_.requests_to("/cdn/").back().header("range"),
            "bytes=" + std::to_string(kept) + "-");
}

TEST(DownloadStatusNames, AllNamed) {
  EXPECT_EQ(download_status_name(DownloadStatus::kQueued), "queued");
  EXPECT_EQ(download_status_name(DownloadStatus::kDownloading), "downloading");
  EXPECT_EQ(download_status_name(DownloadStatus::kVerifying), "verifying");
  EXPECT_EQ(download_status_name(DownloadStatus::kCompleted), "completed");
  EXPECT_EQ(download_status_name(DownloadStatus::kFailed), "failed");
  EXPECT_EQ(download_status_name(DownloadStatus::kCancelled), "cancelled");
  DownloadTask t;
  t.total_bytes = 200;
  t.downloaded_bytes = 50;
  EXPECT_DOUBLE_EQ(t.progress_percent(), 25.0);
}

}  // namespace
}  // namespace impetus
