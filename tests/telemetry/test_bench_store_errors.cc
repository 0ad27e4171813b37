// BenchStore when the file is not what it should be: an old schema (v1,
// written here by hand as the first release wrote it) migrated forward, a
// schema newer than this build, a migration that fails halfway (rolled
// back), random bytes, a damaged database, and a database locked by another
// connection (exclusively, or for writing). Each is a clear Status, never a crash, and the store
// works again once the lock is gone.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "telemetry/bench_store.h"
#include "telemetry/sqlite_db.h"
#include "testing/paths.h"

namespace impetus {
namespace {

// A new, empty folder for each test (and each --gtest_repeat).
std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::scratch_dir(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string db_path(const std::string& test) {
  return fresh_dir("bench_store_err_" + test) + "/impetus.db";
}

// Runs SQL through a raw connection of the test's own.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

BenchRunRecord small_run(const std::string& model, int64_t t) {
  BenchRunRecord r;
  r.model_id = model;
  r.hardware_fingerprint = "hw";
  r.started_at_ms = t;
  r.finished_at_ms = t + 10;
  r.prompt_tokens_per_sec = 100.0;
  r.generated_tokens_per_sec = 10.0;
  r.prompts.push_back(BenchPromptResult{32, 8, 0, 5.0, 6400.0, 10.0, 100.0});
  return r;
}

void write_random_bytes(const std::string& path, size_t n, std::streamoff at = 0) {
  std::mt19937 rng(1234);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) f.open(path, std::ios::out | std::ios::binary);
  f.seekp(at);
  for (size_t i = 0; i < n; ++i) f.put(static_cast<char>(rng() & 0xff));
}

TEST(BenchStoreErrors, MigratesAVersion1File) {
  const std::string path = db_path("v1");
  // The schema as version 1 shipped it, with one run and one prompt.
  raw_exec(path, R"sql(
CREATE TABLE benchmark_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, model_id TEXT NOT NULL, hardware_fingerprint TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL, finished_at_ms INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'cli')), params_json TEXT NOT NULL DEFAULT '{}',
  ttft_ms_avg REAL, prompt_tokens_per_sec REAL NOT NULL, generated_tokens_per_sec REAL NOT NULL,
  peak_memory_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE benchmark_prompts (
  run_id INTEGER NOT NULL REFERENCES benchmark_runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL, generated_tokens INTEGER NOT NULL, ttft_ms REAL,
  prompt_tokens_per_sec REAL NOT NULL, generated_tokens_per_sec REAL NOT NULL, PRIMARY KEY (run_id, idx));
CREATE INDEX benchmark_runs_model ON benchmark_runs(model_id, started_at_ms);
INSERT INTO benchmark_runs (model_id, hardware_fingerprint, started_at_ms, finished_at_ms, source, params_json,
  ttft_ms_avg, prompt_tokens_per_sec, generated_tokens_per_sec, peak_memory_bytes)
  VALUES ('old-model', 'old-hw', 1600000000000, 1600000001000, 'cli', '{"n_prompt":512}', 80.0, 6400.0, 31.5, 4096);
INSERT INTO benchmark_prompts VALUES (1, 0, 512, 128, 80.0, 6400.0, 31.5);
PRAGMA user_version = 1;
)sql");

  auto store = BenchStore::open(path);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto runs = store->history("old-model", 10);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  ASSERT_EQ(runs->size(), 1u);
  const BenchRunRecord& r = (*runs)[0];
  EXPECT_EQ(r.hardware_fingerprint, "old-hw");
  EXPECT_EQ(r.source, "cli");
  EXPECT_DOUBLE_EQ(*r.ttft_ms_avg, 80.0);
  EXPECT_DOUBLE_EQ(r.generated_tokens_per_sec, 31.5);
  EXPECT_EQ(r.peak_memory_bytes, 4096u);
  // Columns added by version 2 take their defaults.
  EXPECT_EQ(r.model_path, "");
  EXPECT_EQ(r.hardware_json, "{}");
  EXPECT_FALSE(r.ttft_ms_p50.has_value());
  EXPECT_FALSE(r.gpu_utilization_avg.has_value());
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(r.prompts[0].prompt_tokens, 512);
  EXPECT_EQ(r.prompts[0].cached_prompt_tokens, 0);

  // New runs use the new columns; the old row is still there.
  BenchRunRecord fresh = small_run("old-model", 1700000000000);
  fresh.gpu_utilization_avg = 12.0;
  fresh.ttft_ms_p50 = 4.0;
  ASSERT_TRUE(store->insert_run(fresh).ok());
  runs = store->history("old-model", 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_DOUBLE_EQ(*(*runs)[0].gpu_utilization_avg, 12.0);

  auto db = SqliteDb::open(path);
  ASSERT_TRUE(db.ok());
  auto version = sqlite_user_version(*db);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, BenchStore::schema_version());
}

TEST(BenchStoreErrors, RefusesANewerSchema) {
  const std::string path = db_path("newer");
  raw_exec(path, "CREATE TABLE future (x); PRAGMA user_version = 99;");
  auto store = BenchStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("version 99"), std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("(" + std::to_string(BenchStore::schema_version()) + ")"),
            std::string::npos);
}

TEST(BenchStoreErrors, AFailedMigrationChangesNothing) {
  const std::string path = db_path("failed_migration");
  auto db = SqliteDb::open(path);
  ASSERT_TRUE(db.ok());
  const std::vector<SqliteMigration> steps = {
      {1, "good", "CREATE TABLE a (x INTEGER);"},
      {2, "bad", "CREATE TABLE b (y INTEGER); INSERT INTO no_such_table VALUES (1);"},
  };
  auto result = sqlite_migrate(*db, steps, "test");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("version 2 (bad)"), std::string::npos)
      << result.status().message();
  auto version = sqlite_user_version(*db);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 0);
  auto tables = db->query_int64("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'");
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(*tables, 0);  // neither a nor b

  // Only the good step: applied, and a second call has nothing to do.
  const std::vector<SqliteMigration> good = {steps[0]};
  auto before = sqlite_migrate(*db, good, "test");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0);
  before = sqlite_migrate(*db, good, "test");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 1);
}

TEST(BenchStoreErrors, RandomBytesAreDataLoss) {
  const std::string path = db_path("random");
  write_random_bytes(path, 64 * 1024);
  auto store = BenchStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("not a valid SQLite database"), std::string::npos);
}

TEST(BenchStoreErrors, ADamagedDatabaseIsAnError) {
  const std::string path = db_path("damaged");
  {
    auto store = BenchStore::open(path);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(store->insert_run(small_run("m", 1000 + i)).ok());
  }
  // Fold the WAL into the file, then keep the 100-byte header and scramble the rest.
  raw_exec(path, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;");
  const auto size = std::filesystem::file_size(path);
  ASSERT_GT(size, 4096u);
  write_random_bytes(path, size - 100, 100);
  auto store = BenchStore::open(path);
  if (store.ok()) {
    // Some damage only shows when the pages are read.
    auto runs = store->history("m", 100);
    ASSERT_FALSE(runs.ok());
    EXPECT_EQ(runs.status().code(), StatusCode::kDataLoss) << runs.status().to_string();
  } else {
    EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().to_string();
  }
}

// A second connection in exclusive locking mode holds the file.
class ExclusiveLock {
 public:
  explicit ExclusiveLock(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", nullptr,
                           nullptr, &err),
              SQLITE_OK)
        << (err ? err : "");
    sqlite3_free(err);
  }
  ~ExclusiveLock() {
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(BenchStoreErrors, ALockedDatabaseIsUnavailableAtOpen) {
  const std::string path = db_path("locked_open");
  ASSERT_TRUE(BenchStore::open(path).ok());  // exists, in WAL mode
  BenchStoreOptions fast;
  fast.busy_timeout_ms = 50;
  {
    ExclusiveLock lock(path);
    auto store = BenchStore::open(path, fast);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(store.status().message().find("locked"), std::string::npos)
        << store.status().message();
  }
  EXPECT_TRUE(BenchStore::open(path, fast).ok());
}

// With the store open, another connection can take the write lock (WAL lets
// no one take more): writes are refused with UNAVAILABLE, reads go on, and
// once the lock is released everything works again.
TEST(BenchStoreErrors, AWriteLockedDatabaseIsUnavailableThenRecovers) {
  const std::string path = db_path("write_locked");
  BenchStoreOptions fast;
  fast.busy_timeout_ms = 50;
  auto store = BenchStore::open(path, fast);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(store->insert_run(small_run("m", 1)).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE; DELETE FROM benchmark_prompts;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  auto id = store->insert_run(small_run("m", 2));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kUnavailable) << id.status().to_string();
  EXPECT_NE(id.status().message().find("locked"), std::string::npos) << id.status().message();
  auto runs = store->history("m", 10);  // readers are not blocked by a writer
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].prompts.size(), 1u);  // the other's uncommitted delete is invisible
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  ASSERT_TRUE(store->insert_run(small_run("m", 3)).ok());
  runs = store->history("m", 10);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  ASSERT_EQ(runs->size(), 2u);  // the refused run left nothing behind
  EXPECT_EQ((*runs)[0].started_at_ms, 3);
  EXPECT_EQ((*runs)[1].started_at_ms, 1);
}

TEST(BenchStoreErrors, AFolderWhereTheFileShouldBeIsAnError) {
  const std::string dir = fresh_dir("bench_store_err_dir");
  auto store = BenchStore::open(dir);  // a directory, not a file
  ASSERT_FALSE(store.ok());
  EXPECT_FALSE(store.status().message().empty());
}

TEST(SqliteStatus, MapsResultCodes) {
  EXPECT_TRUE(sqlite_status(SQLITE_OK, "x", "").ok());
  EXPECT_EQ(sqlite_status(SQLITE_BUSY, "x", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(sqlite_status(SQLITE_BUSY_SNAPSHOT, "x", "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(sqlite_status(SQLITE_NOTADB, "x", "").code(), StatusCode::kDataLoss);
  EXPECT_EQ(sqlite_status(SQLITE_CORRUPT, "x", "").code(), StatusCode::kDataLoss);
  EXPECT_EQ(sqlite_status(SQLITE_FULL, "x", "").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(sqlite_status(SQLITE_CONSTRAINT_UNIQUE, "x", "").code(), StatusCode::kInvalidArgument);
  const Status st = sqlite_status(SQLITE_BUSY, "inserting a run", "database is locked");
  EXPECT_NE(st.message().find("inserting a run"), std::string::npos);
  EXPECT_NE(st.message().find("database is locked"), std::string::npos);
}

}  // namespace
}  // namespace impetus
