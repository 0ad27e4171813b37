#include "telemetry/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace impetus {

Status sqlite_status(int rc, std::string_view context, std::string_view sqlite_message) {
  std::string what(context);
  std::string detail = std::string(sqlite_message.empty() ? sqlite3_errstr(rc) : sqlite_message);
  auto msg = [&](std::string_view explanation) {
    return what + ": " + std::string(explanation) + " (" + detail + ")";
  };
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return ok_status();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return unavailable(
          msg("the database is locked by another connection or process; try again later"));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return data_loss(msg("the file is not a valid SQLite database or is corrupted"));
    case SQLITE_FULL:
      return resource_exhausted(msg("the disk is full"));
    case SQLITE_NOMEM:
      return resource_exhausted(msg("out of memory"));
    case SQLITE_CANTOPEN:
      return failed_precondition(msg("the database file cannot be opened"));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return failed_precondition(msg("no permission to write the database"));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return invalid_argument(msg("the database refused the value"));
    case SQLITE_IOERR:
      return unavailable(msg("disk I/O error"));
    default:
      return internal_error(msg("SQLite error"));
  }
}

// ---- SqliteStatement ----

SqliteStatement::SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string sql)
    : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    sql_ = std::move(other.sql_);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Status SqliteStatement::check_bind(int rc, int index) const {
  if (rc == SQLITE_OK) return ok_status();
  return sqlite_status(rc, "binding parameter " + std::to_string(index) + " of \"" + sql_ + "\"",
                       sqlite3_errmsg(db_));
}

Status SqliteStatement::bind_int64(int index, int64_t value) {
  IMP_CHECK(stmt_ != nullptr, "bind on an empty statement");
  return check_bind(sqlite3_bind_int64(stmt_, index, value), index);
}

Status SqliteStatement::bind_double(int index, double value) {
  IMP_CHECK(stmt_ != nullptr, "bind on an empty statement");
  return check_bind(sqlite3_bind_double(stmt_, index, value), index);
}

Status SqliteStatement::bind(int index, std::string_view text) {
  IMP_CHECK(stmt_ != nullptr, "bind on an empty statement");
  return check_bind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
}

Status SqliteStatement::bind(int index, std::nullptr_t) {
  IMP_CHECK(stmt_ != nullptr, "bind on an empty statement");
  return check_bind(sqlite3_bind_null(stmt_, index), index);
}

StatusOr<bool> SqliteStatement::step() {
  IMP_CHECK(stmt_ != nullptr, "step on an empty statement");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // sqlite3_step's code after an error is the specific one (v2 interface).
  Status st = sqlite_status(rc, "running \"" + sql_ + "\"", sqlite3_errmsg(db_));
  sqlite3_reset(stmt_);
  return st;
}

Status SqliteStatement::run() {
  for (;;) {
    IMP_ASSIGN_OR_RETURN(bool row, step());
    if (!row) return ok_status();
  }
}

Status SqliteStatement::reset() {
  IMP_CHECK(stmt_ != nullptr, "reset on an empty statement");
  // sqlite3_reset repeats the last step's error; that error was already reported.
  sqlite3_reset(stmt_);
  return ok_status();
}

int SqliteStatement::n_columns() const { return sqlite3_column_count(stmt_); }

bool SqliteStatement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double SqliteStatement::column_double(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::string SqliteStatement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  const int n = sqlite3_column_bytes(stmt_, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
}

std::optional<double> SqliteStatement::column_optional_double(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_double(column);
}

// ---- SqliteDb ----

StatusOr<SqliteDb> SqliteDb::open(const std::string& path, const SqliteOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_FULLMUTEX;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteDb db(raw, path);  // closes `raw` on every return below
  if (rc != SQLITE_OK) {
    return sqlite_status(rc, "opening " + path, raw != nullptr ? sqlite3_errmsg(raw) : "");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  return db;
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    close();
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

SqliteDb::~SqliteDb() { close(); }

void SqliteDb::close() {
  // Statements are owned by their SqliteStatement objects; close_v2 defers
  // the close until the last of them is finalized.
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status SqliteDb::error(int rc, std::string_view context) const {
  return sqlite_status(rc, context, db_ != nullptr ? sqlite3_errmsg(db_) : "");
}

Status SqliteDb::exec(std::string_view sql) {
  IMP_CHECK(db_ != nullptr, "exec on a closed database");
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return ok_status();
  Status st = sqlite_status(rc, "running \"" + text + "\" on " + path_, err != nullptr ? err : "");
  sqlite3_free(err);
  return st;
}

StatusOr<SqliteStatement> SqliteDb::prepare(std::string_view sql) {
  IMP_CHECK(db_ != nullptr, "prepare on a closed database");
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    if (stmt != nullptr) sqlite3_finalize(stmt);
    return error(rc, "preparing \"" + std::string(sql) + "\" on " + path_);
  }
  return SqliteStatement(db_, stmt, std::string(sql));
}

StatusOr<int64_t> SqliteDb::query_int64(std::string_view sql) {
  IMP_ASSIGN_OR_RETURN(SqliteStatement st, prepare(sql));
  IMP_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return not_found("\"" + std::string(sql) + "\" returned no row");
  return st.column_int64(0);
}

StatusOr<std::string> SqliteDb::query_text(std::string_view sql) {
  IMP_ASSIGN_OR_RETURN(SqliteStatement st, prepare(sql));
  IMP_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return not_found("\"" + std::string(sql) + "\" returned no row");
  return st.column_text(0);
}

int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

// ---- SqliteTransaction ----

StatusOr<SqliteTransaction> SqliteTransaction::begin(SqliteDb& db, bool immediate) {
  IMP_RETURN_IF_ERROR(db.exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return SqliteTransaction(&db);
}

SqliteTransaction::SqliteTransaction(SqliteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)) {}

SqliteTransaction::~SqliteTransaction() {
  // A failed statement may already have ended the transaction; then
  // ROLLBACK fails harmlessly ("no transaction is active").
  if (db_ != nullptr && sqlite3_get_autocommit(db_->handle()) == 0) (void)db_->exec("ROLLBACK");
}

Status SqliteTransaction::commit() {
  IMP_CHECK(db_ != nullptr, "commit of a finished transaction");
  Status st = db_->exec("COMMIT");
  if (st.ok()) db_ = nullptr;  // on failure the destructor rolls back
  return st;
}

// ---- migrations ----

StatusOr<int> sqlite_user_version(SqliteDb& db) {
  IMP_ASSIGN_OR_RETURN(int64_t v, db.query_int64("PRAGMA user_version"));
  return static_cast<int>(v);
}

StatusOr<int> sqlite_migrate(SqliteDb& db, const std::vector<SqliteMigration>& migrations,
                             std::string_view schema_name) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    IMP_CHECK(migrations[i].version == static_cast<int>(i) + 1,
              "migrations must be numbered 1, 2, ...");
  }
  const int latest = static_cast<int>(migrations.size());
  const std::string name(schema_name);
  IMP_ASSIGN_OR_RETURN(int before, sqlite_user_version(db));
  auto too_new = [&](int v) {
    return failed_precondition(db.path() + ": the " + name + " schema is at version " +
                               std::to_string(v) + ", newer than this build knows (" +
                               std::to_string(latest) +
                               "); use a newer impetus or another database file");
  };
  if (before > latest) return too_new(before);
  if (before == latest) return before;
  IMP_ASSIGN_OR_RETURN(SqliteTransaction tx, SqliteTransaction::begin(db));
  // Another process may have migrated between the read above and the lock.
  IMP_ASSIGN_OR_RETURN(before, sqlite_user_version(db));
  if (before > latest) return too_new(before);
  for (const SqliteMigration& m : migrations) {
    if (m.version <= before) continue;
    Status st = db.exec(m.sql);
    if (!st.ok()) {
      return st.with_context("migrating the " + name + " schema to version " +
                             std::to_string(m.version) + " (" + m.description + ")");
    }
  }
  IMP_RETURN_IF_ERROR(db.exec("PRAGMA user_version = " + std::to_string(latest)));
  IMP_RETURN_IF_ERROR(tx.commit());
  return before;
}

}  // namespace impetus
