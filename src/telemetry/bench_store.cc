#include "telemetry/bench_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "core/log.h"

namespace impetus {
namespace {

// The schema's history. Never edit a released step: add a new one.
const std::vector<SqliteMigration>& migrations() {
  static const std::vector<SqliteMigration> list = {
      {1, "benchmark runs and their prompts",
       R"sql(
CREATE TABLE benchmark_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  model_id TEXT NOT NULL,
  hardware_fingerprint TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'cli')),
  params_json TEXT NOT NULL DEFAULT '{}',
  ttft_ms_avg REAL,
  prompt_tokens_per_sec REAL NOT NULL,
  generated_tokens_per_sec REAL NOT NULL,
  peak_memory_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE benchmark_prompts (
  run_id INTEGER NOT NULL REFERENCES benchmark_runs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  generated_tokens INTEGER NOT NULL,
  ttft_ms REAL,
  prompt_tokens_per_sec REAL NOT NULL,
  generated_tokens_per_sec REAL NOT NULL,
  PRIMARY KEY (run_id, idx)
);
CREATE INDEX benchmark_runs_model ON benchmark_runs(model_id, started_at_ms);
)sql"},
      {2, "model file details, hardware description, median TTFT, GPU utilization",
       R"sql(
ALTER TABLE benchmark_runs ADD COLUMN model_path TEXT NOT NULL DEFAULT '';
ALTER TABLE benchmark_runs ADD COLUMN model_file_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE benchmark_runs ADD COLUMN quantization TEXT NOT NULL DEFAULT '';
ALTER TABLE benchmark_runs ADD COLUMN hardware_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE benchmark_runs ADD COLUMN ttft_ms_p50 REAL;
ALTER TABLE benchmark_runs ADD COLUMN gpu_utilization_avg REAL;
ALTER TABLE benchmark_prompts ADD COLUMN cached_prompt_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE benchmark_prompts ADD COLUMN total_ms REAL NOT NULL DEFAULT 0;
CREATE INDEX benchmark_runs_hardware ON benchmark_runs(hardware_fingerprint, model_id);
)sql"},
  };
  return list;
}

constexpr const char* kRunColumns =
    "id, model_id, model_path, model_file_size, quantization, hardware_fingerprint, hardware_json, "
    "started_at_ms, finished_at_ms, source, params_json, ttft_ms_avg, ttft_ms_p50, "
    "prompt_tokens_per_sec, generated_tokens_per_sec, peak_memory_bytes, gpu_utilization_avg";

BenchRunRecord read_run(const SqliteStatement& st) {
  BenchRunRecord r;
  r.id = st.column_int64(0);
  r.model_id = st.column_text(1);
  r.model_path = st.column_text(2);
  r.model_file_size = static_cast<uint64_t>(st.column_int64(3));
  r.quantization = st.column_text(4);
  r.hardware_fingerprint = st.column_text(5);
  r.hardware_json = st.column_text(6);
  r.started_at_ms = st.column_int64(7);
  r.finished_at_ms = st.column_int64(8);
  r.source = st.column_text(9);
  r.params_json = st.column_text(10);
  r.ttft_ms_avg = st.column_optional_double(11);
  r.ttft_ms_p50 = st.column_optional_double(12);
  r.prompt_tokens_per_sec = st.column_double(13);
  r.generated_tokens_per_sec = st.column_double(14);
  r.peak_memory_bytes = static_cast<uint64_t>(st.column_int64(15));
  r.gpu_utilization_avg = st.column_optional_double(16);
  return r;
}

bool finite_non_negative(double v) { return std::isfinite(v) && v >= 0.0; }
bool finite_non_negative(const std::optional<double>& v) { return !v || finite_non_negative(*v); }

bool valid_json(const std::string& s) {
  return !nlohmann::json::parse(s, nullptr, false).is_discarded();
}

// A JSON text as a value; text that does not parse stays a string.
nlohmann::json parsed_or_string(const std::string& s) {
  nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
  return j.is_discarded() ? nlohmann::json(s) : j;
}

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

std::string csv_number(const std::optional<double>& v) { return v ? csv_number(*v) : ""; }

std::string csv_line(const BenchRunRecord& r) {
  const std::vector<std::string> fields = {std::to_string(r.id),
                                           csv_field(r.model_id),
                                           csv_field(r.model_path),
                                           std::to_string(r.model_file_size),
                                           csv_field(r.quantization),
                                           csv_field(r.hardware_fingerprint),
                                           iso8601_utc_ms(r.started_at_ms),
                                           iso8601_utc_ms(r.finished_at_ms),
                                           csv_field(r.source),
                                           std::to_string(r.prompts.size()),
                                           csv_number(r.ttft_ms_avg),
                                           csv_number(r.ttft_ms_p50),
                                           csv_number(r.prompt_tokens_per_sec),
                                           csv_number(r.generated_tokens_per_sec),
                                           std::to_string(r.peak_memory_bytes),
                                           csv_number(r.gpu_utilization_avg),
                                           csv_field(r.params_json),
                                           csv_field(r.hardware_json)};
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + fields[i];
  return line + "\r\n";
}

constexpr const char* kCsvHeader =
    "id,model_id,model_path,model_file_size,quantization,hardware_fingerprint,started_at,finished_"
    "at,"
    "source,n_prompts,ttft_ms_avg,ttft_ms_p50,prompt_tokens_per_sec,generated_tokens_per_sec,"
    "peak_memory_bytes,gpu_utilization_avg,params_json,hardware_json\r\n";

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status insert_prompts(SqliteDb& db, int64_t run_id, const std::vector<BenchPromptResult>& prompts) {
  IMP_ASSIGN_OR_RETURN(
      SqliteStatement st,
      db.prepare("INSERT INTO benchmark_prompts (run_id, idx, prompt_tokens, generated_tokens, "
                 "cached_prompt_tokens, ttft_ms, prompt_tokens_per_sec, "
                 "generated_tokens_per_sec, total_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const BenchPromptResult& p = prompts[i];
    IMP_RETURN_IF_ERROR(st.reset());
    IMP_RETURN_IF_ERROR(st.bind_all(run_id, static_cast<int64_t>(i), p.prompt_tokens,
                                    p.generated_tokens, p.cached_prompt_tokens, p.ttft_ms,
                                    p.prompt_tokens_per_sec, p.generated_tokens_per_sec,
                                    p.total_ms));
    IMP_RETURN_IF_ERROR(st.run());
  }
  return ok_status();
}

}  // namespace

// ---- opening ----

int BenchStore::schema_version() { return static_cast<int>(migrations().size()); }

BenchStore::BenchStore(SqliteDb db, std::string path)
    : mu_(std::make_unique<std::mutex>()), db_(std::move(db)), path_(std::move(path)) {}

StatusOr<BenchStore> BenchStore::open(const std::string& path, const BenchStoreOptions& options) {
  const std::string what = "opening the benchmark history " + path;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && path != ":memory:") {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return failed_precondition(what + ": cannot create the folder " + parent.string() + ": " +
                                 ec.message());
  }
  SqliteOptions so;
  so.busy_timeout_ms = options.busy_timeout_ms;
  auto db = SqliteDb::open(path, so);
  if (!db.ok()) return db.status();
  // The first statement reads the file: a file that is not a database fails here.
  auto mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status().with_context(what);
  if (*mode != "wal" && path != ":memory:") {
    IMP_LOG(kWarn, "benchmark history ", path, ": journal mode is ", *mode, ", not WAL");
  }
  // WAL + NORMAL: never corrupt; a power cut may lose the last runs only.
  if (Status st = db->exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL"); !st.ok()) {
    return st.with_context(what);
  }
  auto before = sqlite_migrate(*db, migrations(), "benchmark history");
  if (!before.ok()) return before.status();
  if (*before == 0) {
    IMP_LOG(kDebug, "benchmark history ", path, ": created (schema version ", schema_version(),
            ")");
  } else if (*before != schema_version()) {
    IMP_LOG(kInfo, "benchmark history ", path, ": schema migrated from version ", *before, " to ",
            schema_version());
  }
  return BenchStore(std::move(*db), path);
}

std::string default_bench_db_path() {
  if (const char* home = std::getenv("IMPETUS_HOME"); home != nullptr && *home != '\0') {
    return (std::filesystem::path(home) / "impetus.db").string();
  }
  const char* user_home = std::getenv("HOME");
  const std::filesystem::path base = user_home != nullptr && *user_home != '\0' ? user_home : ".";
  return (base / ".impetus" / "impetus.db").string();
}

// ---- writing ----

Status validate_bench_run(const BenchRunRecord& r) {
  if (r.model_id.empty() || r.model_id.size() > 1024)
    return invalid_argument("a benchmark run needs a model id");
  if (r.hardware_fingerprint.empty())
    return invalid_argument("a benchmark run needs a hardware fingerprint");
  if (r.source != "api" && r.source != "cli") {
    return invalid_argument("benchmark source must be \"api\" or \"cli\", not \"" + r.source +
                            "\"");
  }
  if (!valid_json(r.params_json))
    return invalid_argument("benchmark params_json is not valid JSON");
  if (!valid_json(r.hardware_json))
    return invalid_argument("benchmark hardware_json is not valid JSON");
  if (r.finished_at_ms < r.started_at_ms)
    return invalid_argument("a benchmark run cannot finish before it starts");
  const bool figures_ok =
      finite_non_negative(r.ttft_ms_avg) && finite_non_negative(r.ttft_ms_p50) &&
      finite_non_negative(r.prompt_tokens_per_sec) &&
      finite_non_negative(r.generated_tokens_per_sec) && finite_non_negative(r.gpu_utilization_avg);
  if (!figures_ok) return invalid_argument("benchmark figures must be finite and non-negative");
  for (const BenchPromptResult& p : r.prompts) {
    if (p.prompt_tokens < 0 || p.generated_tokens < 0 || p.cached_prompt_tokens < 0 ||
        !finite_non_negative(p.ttft_ms) || !finite_non_negative(p.prompt_tokens_per_sec) ||
        !finite_non_negative(p.generated_tokens_per_sec) || !finite_non_negative(p.total_ms)) {
      return invalid_argument("benchmark prompt figures must be finite and non-negative");
    }
  }
  return ok_status();
}

StatusOr<int64_t> BenchStore::insert_run(const BenchRunRecord& r) {
  IMP_RETURN_IF_ERROR(validate_bench_run(r));
  std::lock_guard<std::mutex> lock(*mu_);
  IMP_ASSIGN_OR_RETURN(SqliteTransaction tx, SqliteTransaction::begin(db_));
  IMP_ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_.prepare(
          "INSERT INTO benchmark_runs (model_id, model_path, model_file_size, quantization, "
          "hardware_fingerprint, hardware_json, started_at_ms, finished_at_ms, source, "
          "params_json, "
          "ttft_ms_avg, ttft_ms_p50, prompt_tokens_per_sec, generated_tokens_per_sec, "
          "peak_memory_bytes, gpu_utilization_avg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?, ?)"));
  IMP_RETURN_IF_ERROR(
      st.bind_all(r.model_id, r.model_path, static_cast<int64_t>(r.model_file_size), r.quantization,
                  r.hardware_fingerprint, r.hardware_json, r.started_at_ms, r.finished_at_ms,
                  r.source, r.params_json, r.ttft_ms_avg, r.ttft_ms_p50, r.prompt_tokens_per_sec,
                  r.generated_tokens_per_sec, static_cast<int64_t>(r.peak_memory_bytes),
                  r.gpu_utilization_avg));
  IMP_RETURN_IF_ERROR(st.run());
  const int64_t id = db_.last_insert_rowid();
  IMP_RETURN_IF_ERROR(insert_prompts(db_, id, r.prompts));
  IMP_RETURN_IF_ERROR(tx.commit());
  return id;
}

// ---- reading ----

StatusOr<std::vector<BenchRunRecord>> BenchStore::query_runs(const BenchFilter& f) {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM benchmark_runs WHERE 1 = 1";
  if (!f.model_id.empty()) sql += " AND model_id = ?";
  if (!f.hardware_fingerprint.empty()) sql += " AND hardware_fingerprint = ?";
  if (!f.source.empty()) sql += " AND source = ?";
  if (f.since_ms > 0) sql += " AND started_at_ms >= ?";
  if (f.until_ms > 0) sql += " AND started_at_ms < ?";
  sql += " ORDER BY started_at_ms DESC, id DESC";
  if (f.limit > 0) sql += " LIMIT ?";
  IMP_ASSIGN_OR_RETURN(SqliteStatement st, db_.prepare(sql));
  int i = 0;
  if (!f.model_id.empty()) IMP_RETURN_IF_ERROR(st.bind(++i, f.model_id));
  if (!f.hardware_fingerprint.empty()) IMP_RETURN_IF_ERROR(st.bind(++i, f.hardware_fingerprint));
  if (!f.source.empty()) IMP_RETURN_IF_ERROR(st.bind(++i, f.source));
  if (f.since_ms > 0) IMP_RETURN_IF_ERROR(st.bind(++i, f.since_ms));
  if (f.until_ms > 0) IMP_RETURN_IF_ERROR(st.bind(++i, f.until_ms));
  if (f.limit > 0) IMP_RETURN_IF_ERROR(st.bind(++i, f.limit));
  std::vector<BenchRunRecord> out;
  for (;;) {
    IMP_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    out.push_back(read_run(st));
  }
  IMP_RETURN_IF_ERROR(load_prompts(out));
  return out;
}

Status BenchStore::load_prompts(std::vector<BenchRunRecord>& runs) {
  if (runs.empty()) return ok_status();
  IMP_ASSIGN_OR_RETURN(
      SqliteStatement st,
      db_.prepare("SELECT prompt_tokens, generated_tokens, cached_prompt_tokens, ttft_ms, "
                  "prompt_tokens_per_sec, generated_tokens_per_sec, total_ms "
                  "FROM benchmark_prompts WHERE run_id = ? ORDER BY idx"));
  for (BenchRunRecord& r : runs) {
    IMP_RETURN_IF_ERROR(st.reset());
    IMP_RETURN_IF_ERROR(st.bind(1, r.id));
    for (;;) {
      IMP_ASSIGN_OR_RETURN(bool row, st.step());
      if (!row) break;
      BenchPromptResult p;
      p.prompt_tokens = static_cast<int32_t>(st.column_int64(0));
      p.generated_tokens = static_cast<int32_t>(st.column_int64(1));
      p.cached_prompt_tokens = static_cast<int32_t>(st.column_int64(2));
      p.ttft_ms = st.column_optional_double(3);
      p.prompt_tokens_per_sec = st.column_double(4);
      p.generated_tokens_per_sec = st.column_double(5);
      p.total_ms = st.column_double(6);
      r.prompts.push_back(p);
    }
  }
  return ok_status();
}

StatusOr<std::vector<BenchRunRecord>> BenchStore::runs(const BenchFilter& filter) {
  std::lock_guard<std::mutex> lock(*mu_);
  return query_runs(filter);
}

StatusOr<std::vector<BenchRunRecord>> BenchStore::history(const std::string& model_id,
                                                          int64_t limit) {
  if (limit < 1 || limit > 1000)
    return invalid_argument("history limit must be between 1 and 1000");
  if (model_id.empty()) return invalid_argument("history needs a model id");
  BenchFilter f;
  f.model_id = model_id;
  f.limit = limit;
  std::lock_guard<std::mutex> lock(*mu_);
  return query_runs(f);
}

StatusOr<std::vector<BenchComparisonRow>> BenchStore::comparison() {
  static constexpr const char* kSql = R"sql(
SELECT model_id, hardware_fingerprint, COUNT(*), AVG(ttft_ms_avg), AVG(prompt_tokens_per_sec),
       AVG(generated_tokens_per_sec), MAX(prompt_tokens_per_sec), MAX(generated_tokens_per_sec),
       MAX(peak_memory_bytes), AVG(gpu_utilization_avg), MIN(started_at_ms), MAX(started_at_ms),
       (SELECT l.hardware_json FROM benchmark_runs l WHERE l.model_id = r.model_id
          AND l.hardware_fingerprint = r.hardware_fingerprint ORDER BY l.started_at_ms DESC, l.id DESC LIMIT 1),
       (SELECT l.quantization FROM benchmark_runs l WHERE l.model_id = r.model_id
          AND l.hardware_fingerprint = r.hardware_fingerprint ORDER BY l.started_at_ms DESC, l.id DESC LIMIT 1)
FROM benchmark_runs r GROUP BY model_id, hardware_fingerprint ORDER BY model_id, hardware_fingerprint)sql";
  std::lock_guard<std::mutex> lock(*mu_);
  IMP_ASSIGN_OR_RETURN(SqliteStatement st, db_.prepare(kSql));
  std::vector<BenchComparisonRow> out;
  for (;;) {
    IMP_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    BenchComparisonRow c;
    c.model_id = st.column_text(0);
    c.hardware_fingerprint = st.column_text(1);
    c.run_count = st.column_int64(2);
    c.avg_ttft_ms = st.column_optional_double(3);
    c.avg_prompt_tokens_per_sec = st.column_double(4);
    c.avg_generated_tokens_per_sec = st.column_double(5);
    c.best_prompt_tokens_per_sec = st.column_double(6);
    c.best_generated_tokens_per_sec = st.column_double(7);
    c.peak_memory_bytes = static_cast<uint64_t>(st.column_int64(8));
    c.avg_gpu_utilization = st.column_optional_double(9);
    c.first_run_at_ms = st.column_int64(10);
    c.last_run_at_ms = st.column_int64(11);
    c.hardware_json = st.column_text(12);
    c.quantization = st.column_text(13);
    out.push_back(std::move(c));
  }
  return out;
}

// ---- exports ----

StatusOr<std::string> BenchStore::export_csv(const BenchFilter& filter) {
  IMP_ASSIGN_OR_RETURN(auto all, runs(filter));
  std::string out = kCsvHeader;
  for (const BenchRunRecord& r : all) out += csv_line(r);
  return out;
}

StatusOr<std::string> BenchStore::export_json(const BenchFilter& filter) {
  IMP_ASSIGN_OR_RETURN(auto all, runs(filter));
  nlohmann::json list = nlohmann::json::array();
  for (const BenchRunRecord& r : all) list.push_back(bench_run_json(r));
  nlohmann::json j = {{"schema_version", schema_version()},
                      {"exported_at", iso8601_utc_ms(now_unix_ms())},
                      {"runs", std::move(list)}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string iso8601_utc_ms(int64_t unix_ms) {
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  const std::time_t secs = static_cast<std::time_t>((unix_ms - ms) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

nlohmann::json bench_run_json(const BenchRunRecord& r) {
  nlohmann::json prompts = nlohmann::json::array();
  for (const BenchPromptResult& p : r.prompts) {
    prompts.push_back({{"prompt_tokens", p.prompt_tokens},
                       {"generated_tokens", p.generated_tokens},
                       {"cached_prompt_tokens", p.cached_prompt_tokens},
                       {"ttft_ms", optional_json(p.ttft_ms)},
                       {"prompt_tokens_per_sec", p.prompt_tokens_per_sec},
                       {"generated_tokens_per_sec", p.generated_tokens_per_sec},
                       {"total_ms", p.total_ms}});
  }
  return {{"id", r.id},
          {"model_id", r.model_id},
          {"model_path", r.model_path},
          {"model_file_size", r.model_file_size},
          {"quantization", r.quantization},
          {"hardware_fingerprint", r.hardware_fingerprint},
          {"hardware", parsed_or_string(r.hardware_json)},
          {"started_at", iso8601_utc_ms(r.started_at_ms)},
          {"started_at_ms", r.started_at_ms},
          {"finished_at", iso8601_utc_ms(r.finished_at_ms)},
          {"finished_at_ms", r.finished_at_ms},
          {"source", r.source},
          {"params", parsed_or_string(r.params_json)},
          {"ttft_ms_avg", optional_json(r.ttft_ms_avg)},
          {"ttft_ms_p50", optional_json(r.ttft_ms_p50)},
          {"prompt_tokens_per_sec", r.prompt_tokens_per_sec},
          {"generated_tokens_per_sec", r.generated_tokens_per_sec},
          {"peak_memory_bytes", r.peak_memory_bytes},
          {"gpu_utilization_avg", optional_json(r.gpu_utilization_avg)},
          {"prompts", std::move(prompts)}};
}

nlohmann::json bench_comparison_json(const BenchComparisonRow& c) {
  return {{"model_id", c.model_id},
          {"hardware_fingerprint", c.hardware_fingerprint},
          {"hardware", parsed_or_string(c.hardware_json)},
          {"quantization", c.quantization},
          {"run_count", c.run_count},
          {"avg_ttft_ms", optional_json(c.avg_ttft_ms)},
          {"avg_prompt_tokens_per_sec", c.avg_prompt_tokens_per_sec},
          {"avg_generated_tokens_per_sec", c.avg_generated_tokens_per_sec},
          {"best_prompt_tokens_per_sec", c.best_prompt_tokens_per_sec},
          {"best_generated_tokens_per_sec", c.best_generated_tokens_per_sec},
          {"peak_memory_bytes", c.peak_memory_bytes},
          {"avg_gpu_utilization", optional_json(c.avg_gpu_utilization)},
          {"first_run_at", iso8601_utc_ms(c.first_run_at_ms)},
          {"last_run_at", iso8601_utc_ms(c.last_run_at_ms)}};
}

// ---- impetus bench --save ----

BenchRunRecord cli_bench_record(const CliBenchResult& c) {
  BenchRunRecord r;
  r.model_id = c.model_id;
  r.model_path = c.model_path;
  r.model_file_size = c.model_file_size;
  r.quantization = c.quantization;
  r.hardware_fingerprint = c.hardware_fingerprint;
  r.hardware_json = c.hardware_json;
  r.started_at_ms = c.started_at_ms;
  r.finished_at_ms = c.finished_at_ms;
  r.source = "cli";
  r.params_json =
      nlohmann::json{{"mode", "llama-bench"}, {"n_prompt", c.n_prompt}, {"n_gen", c.n_gen},
                     {"n_reps", c.n_reps},    {"threads", c.n_threads}, {"isa", c.isa}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  BenchPromptResult p;
  p.prompt_tokens = c.n_prompt;
  p.generated_tokens = c.n_gen;
  if (c.pp_tokens_per_sec && *c.pp_tokens_per_sec > 0.0 && c.n_prompt > 0) {
    p.prompt_tokens_per_sec = *c.pp_tokens_per_sec;
    // The pp test is one forward pass over the prompt: the time to the first token.
    p.ttft_ms = 1000.0 * c.n_prompt / *c.pp_tokens_per_sec;
  }
  if (c.tg_tokens_per_sec) p.generated_tokens_per_sec = *c.tg_tokens_per_sec;
  p.total_ms =
      p.ttft_ms.value_or(0.0) +
      (p.generated_tokens_per_sec > 0.0 ? 1000.0 * c.n_gen / p.generated_tokens_per_sec : 0.0);
  r.ttft_ms_avg = p.ttft_ms;
  r.ttft_ms_p50 = p.ttft_ms;
  r.prompt_tokens_per_sec = p.prompt_tokens_per_sec;
  r.generated_tokens_per_sec = p.generated_tokens_per_sec;
  r.peak_memory_bytes = c.peak_memory_bytes;
  r.gpu_utilization_avg = c.gpu_utilization_avg;
  r.prompts.push_back(p);
  return r;
}

StatusOr<int64_t> save_cli_bench(BenchStore& store, const CliBenchResult& result) {
  return store.insert_run(cli_bench_record(result));
}

}  // namespace impetus
