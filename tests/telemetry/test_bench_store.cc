// BenchStore on real SQLite files in a scratch folder: runs written, the
// store closed and reopened (a server restart) and read back field by
// field; history order and limits; comparison across two machines checked
// against figures computed here; CSV and JSON exports parsed back; the CLI
// save path; concurrent writers. Row counts are cross-checked through a
// separate raw sqlite3 connection.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "telemetry/bench_store.h"
#include "testing/paths.h"

namespace impetus {
namespace {

BenchRunRecord make_run(const std::string& model, const std::string& hw, int64_t started_ms,
                        double gen_tps) {
  BenchRunRecord r;
  r.model_id = model;
  r.model_path = "/models/" + model + ".Q4_K_M.gguf";
  r.model_file_size = 123456789;
  r.quantization = "Q4_K_M";
  r.hardware_fingerprint = hw;
  r.hardware_json = R"({"cpu":"Test CPU )" + hw + R"(","cores":2})";
  r.started_at_ms = started_ms;
  r.finished_at_ms = started_ms + 1500;
  r.source = "api";
  r.params_json = R"({"prompt_lengths":[32,128],"max_tokens":16})";
  r.ttft_ms_avg = 12.5;
  r.ttft_ms_p50 = 11.0;
  r.prompt_tokens_per_sec = 2.0 * gen_tps;
  r.generated_tokens_per_sec = gen_tps;
  r.peak_memory_bytes = 1000;
  r.gpu_utilization_avg = std::nullopt;
  BenchPromptResult a{32, 16, 0, 9.5, 3368.4, 41.0, 400.0};
  BenchPromptResult b{128, 16, 0, 15.5, 8258.1, 39.0, 420.0};
  r.prompts = {a, b};
  return r;
}

// Rows of a table, through a connection of our own.
int64_t count_rows(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT COUNT(*) FROM " + table;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
  const int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

// A new, empty folder for each test (and each --gtest_repeat).
std::string fresh_dir(const std::string& name) {
  const std::string dir = testing::scratch_dir(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string db_path(const std::string& test) {
  return fresh_dir("bench_store_" + test) + "/impetus.db";
}

void expect_same_run(const BenchRunRecord& a, const BenchRunRecord& b) {
  EXPECT_EQ(a.model_id, b.model_id);
  EXPECT_EQ(a.model_path, b.model_path);
  EXPECT_EQ(a.model_file_size, b.model_file_size);
  EXPECT_EQ(a.quantization, b.quantization);
  EXPECT_EQ(a.hardware_fingerprint, b.hardware_fingerprint);
  EXPECT_EQ(a.hardware_json, b.hardware_json);
  EXPECT_EQ(a.started_at_ms, b.started_at_ms);
  EXPECT_EQ(a.finished_at_ms, b.finished_at_ms);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.params_json, b.params_json);
  EXPECT_EQ(a.ttft_ms_avg, b.ttft_ms_avg);
  EXPECT_EQ(a.ttft_ms_p50, b.ttft_ms_p50);
  EXPECT_EQ(a.prompt_tokens_per_sec, b.prompt_tokens_per_sec);
  EXPECT_EQ(a.generated_tokens_per_sec, b.generated_tokens_per_sec);
  EXPECT_EQ(a.peak_memory_bytes, b.peak_memory_bytes);
  EXPECT_EQ(a.gpu_utilization_avg, b.gpu_utilization_avg);
  ASSERT_EQ(a.prompts.size(), b.prompts.size());
  for (size_t i = 0; i < a.prompts.size(); ++i) {
    EXPECT_EQ(a.prompts[i].prompt_tokens, b.prompts[i].prompt_tokens);
    EXPECT_EQ(a.prompts[i].generated_tokens, b.prompts[i].generated_tokens);
    EXPECT_EQ(a.prompts[i].cached_prompt_tokens, b.prompts[i].cached_prompt_tokens);
    EXPECT_EQ(a.prompts[i].ttft_ms, b.prompts[i].ttft_ms);
    EXPECT_EQ(a.prompts[i].prompt_tokens_per_sec, b.prompts[i].prompt_tokens_per_sec);
    EXPECT_EQ(a.prompts[i].generated_tokens_per_sec, b.prompts[i].generated_tokens_per_sec);
    EXPECT_EQ(a.prompts[i].total_ms, b.prompts[i].total_ms);
  }
}

TEST(BenchStore, RunsSurviveAReopen) {
  const std::string path = db_path("reopen");
  BenchRunRecord first = make_run("llama", "hw-a", 1700000000000, 40.0);
  BenchRunRecord second = make_run("llama", "hw-a", 1700000100000, 42.5);
  second.gpu_utilization_avg = 87.25;
  second.prompts[1].cached_prompt_tokens = 3;
  second.ttft_ms_p50 = std::nullopt;
  {
    auto store = BenchStore::open(path);
    ASSERT_TRUE(store.ok()) << store.status().to_string();
    auto id1 = store->insert_run(first);
    auto id2 = store->insert_run(second);
    ASSERT_TRUE(id1.ok() && id2.ok());
    EXPECT_LT(*id1, *id2);
    first.id = *id1;
    second.id = *id2;
  }  // closed: the "server" stops
  EXPECT_EQ(count_rows(path, "benchmark_runs"), 2);
  EXPECT_EQ(count_rows(path, "benchmark_prompts"), 4);

  auto store = BenchStore::open(path);
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  auto runs = store->history("llama", 10);
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].id, second.id);  // newest first
  expect_same_run((*runs)[0], second);
  EXPECT_EQ((*runs)[1].id, first.id);
  expect_same_run((*runs)[1], first);
}

TEST(BenchStore, UsesWalAndRecordsTheSchemaVersion) {
  const std::string path = db_path("wal");
  ASSERT_TRUE(BenchStore::open(path).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), BenchStore::schema_version());
  EXPECT_GE(BenchStore::schema_version(), 2);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(BenchStore, HistoryIsPerModelNewestFirstAndLimited) {
  auto store = BenchStore::open(db_path("history"));
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 5; ++i) {
    // Inserted out of time order: history sorts by start time.
    const int64_t t = 1700000000000 + ((i * 3) % 5) * 1000;
    ASSERT_TRUE(store->insert_run(make_run("a", "hw", t, 10.0 + i)).ok());
  }
  ASSERT_TRUE(store->insert_run(make_run("b", "hw", 1800000000000, 99.0)).ok());
  auto runs = store->history("a", 3);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].started_at_ms, 1700000004000);
  EXPECT_EQ((*runs)[1].started_at_ms, 1700000003000);
  EXPECT_EQ((*runs)[2].started_at_ms, 1700000002000);
  for (const auto& r : *runs) EXPECT_EQ(r.model_id, "a");
  auto none = store->history("nobody", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(store->history("a", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->history("a", 1001).status().code(), StatusCode::kInvalidArgument);
}

TEST(BenchStore, RejectsInvalidRuns) {
  auto store = BenchStore::open(db_path("invalid"));
  ASSERT_TRUE(store.ok());
  BenchRunRecord r = make_run("m", "hw", 1700000000000, 5.0);
  r.source = "web";
  EXPECT_EQ(store->insert_run(r).status().code(), StatusCode::kInvalidArgument);
  r = make_run("m", "hw", 1700000000000, 5.0);
  r.generated_tokens_per_sec = std::nan("");
  EXPECT_EQ(store->insert_run(r).status().code(), StatusCode::kInvalidArgument);
  r = make_run("m", "hw", 1700000000000, 5.0);
  r.params_json = "{not json";
  EXPECT_EQ(store->insert_run(r).status().code(), StatusCode::kInvalidArgument);
  r = make_run("", "hw", 1700000000000, 5.0);
  EXPECT_EQ(store->insert_run(r).status().code(), StatusCode::kInvalidArgument);
  r = make_run("m", "hw", 1700000000000, 5.0);
  r.finished_at_ms = r.started_at_ms - 1;
  EXPECT_EQ(store->insert_run(r).status().code(), StatusCode::kInvalidArgument);
  auto runs = store->runs({});
  ASSERT_TRUE(runs.ok());
  EXPECT_TRUE(runs->empty());
}

TEST(BenchStore, ComparesModelsAcrossTwoMachines) {
  auto store = BenchStore::open(db_path("comparison"));
  ASSERT_TRUE(store.ok());
  BenchRunRecord a1 = make_run("m1", "hw-A", 1000, 10.0);
  a1.peak_memory_bytes = 100;
  a1.ttft_ms_avg = 20.0;
  a1.gpu_utilization_avg = 50.0;
  BenchRunRecord a2 = make_run("m1", "hw-A", 3000, 20.0);
  a2.peak_memory_bytes = 300;
  a2.ttft_ms_avg = 40.0;
  a2.hardware_json = R"({"cpu":"newer description"})";
  BenchRunRecord b1 = make_run("m1", "hw-B", 2000, 55.0);
  b1.peak_memory_bytes = 700;
  BenchRunRecord c1 = make_run("m2", "hw-A", 4000, 7.0);
  for (const auto* r : {&a1, &a2, &b1, &c1}) ASSERT_TRUE(store->insert_run(*r).ok());

  auto rows = store->comparison();
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 3u);
  const BenchComparisonRow& r0 = (*rows)[0];
  EXPECT_EQ(r0.model_id, "m1");
  EXPECT_EQ(r0.hardware_fingerprint, "hw-A");
  EXPECT_EQ(r0.run_count, 2);
  EXPECT_DOUBLE_EQ(r0.avg_generated_tokens_per_sec, (10.0 + 20.0) / 2);
  EXPECT_DOUBLE_EQ(r0.avg_prompt_tokens_per_sec, (20.0 + 40.0) / 2);
  EXPECT_DOUBLE_EQ(r0.best_generated_tokens_per_sec, 20.0);
  EXPECT_DOUBLE_EQ(r0.best_prompt_tokens_per_sec, 40.0);
  ASSERT_TRUE(r0.avg_ttft_ms.has_value());
  EXPECT_DOUBLE_EQ(*r0.avg_ttft_ms, 30.0);
  EXPECT_EQ(r0.peak_memory_bytes, 300u);
  ASSERT_TRUE(r0.avg_gpu_utilization.has_value());
  EXPECT_DOUBLE_EQ(*r0.avg_gpu_utilization, 50.0);  // the run without a GPU figure is left out
  EXPECT_EQ(r0.hardware_json, a2.hardware_json);    // the latest run's description
  EXPECT_EQ(r0.first_run_at_ms, 1000);
  EXPECT_EQ(r0.last_run_at_ms, 3000);

  const BenchComparisonRow& r1 = (*rows)[1];
  EXPECT_EQ(r1.model_id, "m1");
  EXPECT_EQ(r1.hardware_fingerprint, "hw-B");
  EXPECT_EQ(r1.run_count, 1);
  EXPECT_DOUBLE_EQ(r1.avg_generated_tokens_per_sec, 55.0);
  EXPECT_EQ(r1.peak_memory_bytes, 700u);
  EXPECT_FALSE(r1.avg_gpu_utilization.has_value());

  EXPECT_EQ((*rows)[2].model_id, "m2");
  EXPECT_EQ((*rows)[2].run_count, 1);

  nlohmann::json j = bench_comparison_json(r0);
  EXPECT_EQ(j["run_count"], 2);
  EXPECT_EQ(j["hardware"]["cpu"], "newer description");
}

// A small RFC 4180 reader: quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_quotes = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      in_quotes = quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += c;
    }
  }
  (void)quoted;
  if (!field.empty() || !rows.back().empty()) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST(BenchStore, ExportsCsv) {
  auto store = BenchStore::open(db_path("csv"));
  ASSERT_TRUE(store.ok());
  BenchRunRecord odd = make_run("my, \"odd\" model", "hw-A", 1700000000123, 12.345);
  odd.gpu_utilization_avg = 66.5;
  ASSERT_TRUE(store->insert_run(odd).ok());
  ASSERT_TRUE(store->insert_run(make_run("plain", "hw-B", 1700000005000, 8.0)).ok());

  auto csv = store->export_csv();
  ASSERT_TRUE(csv.ok());
  auto rows = parse_csv(*csv);
  ASSERT_EQ(rows.size(), 3u) << *csv;
  const std::vector<std::string> header = rows[0];
  auto col = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return static_cast<size_t>(it - header.begin());
  };
  for (const auto& row : rows) EXPECT_EQ(row.size(), header.size());
  // Newest first: "plain", then the odd one.
  EXPECT_EQ(rows[1][col("model_id")], "plain");
  const auto& r = rows[2];
  EXPECT_EQ(r[col("model_id")], "my, \"odd\" model");
  EXPECT_EQ(r[col("hardware_fingerprint")], "hw-A");
  EXPECT_EQ(r[col("started_at")], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(r[col("source")], "api");
  EXPECT_EQ(r[col("n_prompts")], "2");
  EXPECT_NEAR(std::stod(r[col("generated_tokens_per_sec")]), 12.345, 1e-3);
  EXPECT_NEAR(std::stod(r[col("prompt_tokens_per_sec")]), 24.69, 1e-3);
  EXPECT_NEAR(std::stod(r[col("gpu_utilization_avg")]), 66.5, 1e-3);
  EXPECT_EQ(rows[1][col("gpu_utilization_avg")], "");  // none measured
  EXPECT_EQ(r[col("peak_memory_bytes")], "1000");
  EXPECT_EQ(nlohmann::json::parse(r[col("params_json")])["max_tokens"], 16);
  EXPECT_EQ(nlohmann::json::parse(r[col("hardware_json")])["cores"], 2);

  BenchFilter only_b;
  only_b.hardware_fingerprint = "hw-B";
  auto filtered = store->export_csv(only_b);
  ASSERT_TRUE(filtered.ok());
  rows = parse_csv(*filtered);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][col("model_id")], "plain");
}

TEST(BenchStore, ExportsJson) {
  auto store = BenchStore::open(db_path("json"));
  ASSERT_TRUE(store.ok());
  BenchRunRecord api = make_run("m", "hw-A", 1700000000000, 30.0);
  ASSERT_TRUE(store->insert_run(api).ok());
  CliBenchResult cli;
  cli.model_id = "m";
  cli.hardware_fingerprint = "hw-A";
  cli.started_at_ms = 1700000009000;
  cli.finished_at_ms = 1700000019000;
  cli.n_prompt = 512;
  cli.n_gen = 128;
  cli.n_reps = 3;
  cli.pp_tokens_per_sec = 256.0;
  cli.tg_tokens_per_sec = 25.0;
  ASSERT_TRUE(save_cli_bench(*store, cli).ok());

  auto text = store->export_json();
  ASSERT_TRUE(text.ok());
  nlohmann::json j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["schema_version"], BenchStore::schema_version());
  ASSERT_EQ(j["runs"].size(), 2u);
  const auto& newest = j["runs"][0];
  EXPECT_EQ(newest["source"], "cli");
  EXPECT_EQ(newest["params"]["n_prompt"], 512);
  EXPECT_DOUBLE_EQ(newest["ttft_ms_avg"].get<double>(), 2000.0);  // 512 tokens at 256 tok/s
  const auto& older = j["runs"][1];
  EXPECT_EQ(older["source"], "api");
  EXPECT_EQ(older["model_id"], "m");
  EXPECT_EQ(older["hardware"]["cpu"], "Test CPU hw-A");
  EXPECT_DOUBLE_EQ(older["generated_tokens_per_sec"].get<double>(), 30.0);
  EXPECT_TRUE(older["gpu_utilization_avg"].is_null());
  ASSERT_EQ(older["prompts"].size(), 2u);
  EXPECT_EQ(older["prompts"][1]["prompt_tokens"], 128);
  EXPECT_EQ(older["started_at"], "2023-11-14T22:13:20.000Z");

  BenchFilter only_cli;
  only_cli.source = "cli";
  auto cli_only = store->export_json(only_cli);
  ASSERT_TRUE(cli_only.ok());
  EXPECT_EQ(nlohmann::json::parse(*cli_only)["runs"].size(), 1u);
}

TEST(BenchStore, SavesCliBenchResults) {
  auto store = BenchStore::open(db_path("cli"));
  ASSERT_TRUE(store.ok());
  CliBenchResult c;
  c.model_id = "tinyllama";
  c.model_path = "/m/tinyllama.Q8_0.gguf";
  c.quantization = "Q8_0";
  c.hardware_fingerprint = "hw";
  c.started_at_ms = 5000;
  c.finished_at_ms = 9000;
  c.n_prompt = 100;
  c.n_gen = 50;
  c.n_reps = 2;
  c.n_threads = 2;
  c.isa = "avx512";
  c.pp_tokens_per_sec = 200.0;
  c.tg_tokens_per_sec = 20.0;
  c.peak_memory_bytes = 1 << 20;
  auto id = save_cli_bench(*store, c);
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  auto runs = store->history("tinyllama", 5);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  const BenchRunRecord& r = (*runs)[0];
  EXPECT_EQ(r.id, *id);
  EXPECT_EQ(r.source, "cli");
  EXPECT_DOUBLE_EQ(r.prompt_tokens_per_sec, 200.0);
  EXPECT_DOUBLE_EQ(r.generated_tokens_per_sec, 20.0);
  EXPECT_DOUBLE_EQ(*r.ttft_ms_avg, 500.0);
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_DOUBLE_EQ(r.prompts[0].total_ms, 500.0 + 2500.0);
  EXPECT_EQ(nlohmann::json::parse(r.params_json)["isa"], "avx512");
}

TEST(BenchStore, ConcurrentWritersAndReaders) {
  const std::string path = db_path("threads");
  auto store = BenchStore::open(path);
  ASSERT_TRUE(store.ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!store->insert_run(make_run("m" + std::to_string(t), "hw", 1000 + i, 1.0 + i)).ok())
          ++failures;
        if (!store->comparison().ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count_rows(path, "benchmark_runs"), 40);
  EXPECT_EQ(count_rows(path, "benchmark_prompts"), 80);
}

TEST(BenchStore, DefaultPathFollowsImpetusHome) {
  const char* old = std::getenv("IMPETUS_HOME");
  const std::string saved = old != nullptr ? old : "";
  setenv("IMPETUS_HOME", "/tmp/impetus-home-test", 1);
  EXPECT_EQ(default_bench_db_path(), "/tmp/impetus-home-test/impetus.db");
  unsetenv("IMPETUS_HOME");
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') {
    EXPECT_EQ(default_bench_db_path(), std::string(home) + "/.impetus/impetus.db");
  }
  if (old != nullptr) setenv("IMPETUS_HOME", saved.c_str(), 1);
}

TEST(BenchStore, CreatesMissingFolders) {
  const std::string dir = fresh_dir("bench_store_folders") + "/a/b";
  auto store = BenchStore::open(dir + "/impetus.db");
  ASSERT_TRUE(store.ok()) << store.status().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir + "/impetus.db"));
}

}  // namespace
}  // namespace impetus
