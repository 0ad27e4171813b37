// A thin RAII wrapper over the sqlite3 C API: a connection (SqliteDb), a
// prepared statement (SqliteStatement), a transaction that rolls back unless
// committed (SqliteTransaction), and versioned schema migrations kept in
// PRAGMA user_version. Every failing sqlite3 call becomes a Status whose
// code tells the caller what happened: a locked database is UNAVAILABLE, a
// file that is not a database or is corrupted is DATA_LOSS, a full disk is
// RESOURCE_EXHAUSTED, a constraint violation is INVALID_ARGUMENT.
//
//   IMP_ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::open(path));
//   IMP_ASSIGN_OR_RETURN(SqliteStatement st, db.prepare("SELECT a FROM t WHERE b = ?"));
//   IMP_RETURN_IF_ERROR(st.bind(1, 42));
//   for (;;) {
//     IMP_ASSIGN_OR_RETURN(bool row, st.step());
//     if (!row) break;
//     use(st.column_int64(0));
//   }
//
// Objects are movable, not copyable. A connection is not thread-safe by
// itself here: callers serialize its use (one mutex per connection).
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace impetus {

struct SqliteOptions {
  int busy_timeout_ms = 2000;  // how long a call waits for another connection's lock
  bool create = true;          // create the file when it does not exist
  bool read_only = false;      // open without write access
};

// The Status for sqlite result code `rc` (primary or extended), with
// `context` ("inserting a run") and sqlite's own message.
Status sqlite_status(int rc, std::string_view context, std::string_view sqlite_message);

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are numbered from 1, as in SQL "?" order.
  template <std::integral T>
  Status bind(int index, T value) {
    return bind_int64(index, static_cast<int64_t>(value));
  }
  template <std::floating_point T>
  Status bind(int index, T value) {
    return bind_double(index, static_cast<double>(value));
  }
  Status bind(int index, std::string_view text);
  Status bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Status bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Status bind(int index, std::nullptr_t);
  template <typename T>
  Status bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  // Binds args to parameters 1, 2, ... in order.
  template <typename... Args>
  Status bind_all(const Args&... args) {
    int index = 0;
    Status st;
    ((st.ok() ? (st = bind(++index, args), 0) : 0), ...);
    return st;
  }

  // Runs to the next row: true when a row is ready, false when done.
  StatusOr<bool> step();
  // Steps until done, ignoring any rows (INSERT, UPDATE, DDL).
  Status run();
  // Makes the statement runnable again; bindings are kept.
  Status reset();

  int n_columns() const;
  bool is_null(int column) const;
  int64_t column_int64(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;  // "" for NULL
  std::optional<double> column_optional_double(int column) const;

 private:
  friend class SqliteDb;
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, std::string sql);
  Status bind_int64(int index, int64_t value);
  Status bind_double(int index, double value);
  Status check_bind(int rc, int index) const;

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;  // for error messages
};

class SqliteDb {
 public:
  // Opens (or creates) the database file; extended result codes on, busy
  // timeout set. sqlite reads the file lazily, so a file that is not a
  // database is reported by the first statement, not here.
  static StatusOr<SqliteDb> open(const std::string& path, const SqliteOptions& options = {});

  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  bool is_open() const { return db_ != nullptr; }
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

  // Runs one or more ';'-separated statements; rows they return are dropped.
  Status exec(std::string_view sql);
  StatusOr<SqliteStatement> prepare(std::string_view sql);
  // The value of the first column of the first row (e.g. "PRAGMA user_version").
  StatusOr<int64_t> query_int64(std::string_view sql);
  StatusOr<std::string> query_text(std::string_view sql);
  int64_t last_insert_rowid() const;
  // The Status for `rc` with this connection's current error message.
  Status error(int rc, std::string_view context) const;

 private:
  explicit SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void close();

  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN on construction (IMMEDIATE takes the write lock at once, so a busy
// database fails here rather than halfway through); ROLLBACK on destruction
// unless commit() succeeded.
class SqliteTransaction {
 public:
  static StatusOr<SqliteTransaction> begin(SqliteDb& db, bool immediate = true);
  SqliteTransaction(SqliteTransaction&& other) noexcept;
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();

  Status commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_ = nullptr;  // null once committed or rolled back
};

// One step of a schema's history: the SQL that takes version - 1 to version.
struct SqliteMigration {
  int version = 0;          // 1, 2, 3, ... in order
  std::string description;  // for error messages
  std::string sql;          // one or more statements
};

// PRAGMA user_version: 0 for a new database.
StatusOr<int> sqlite_user_version(SqliteDb& db);

// Brings the database to the last migration's version: every migration
// above the current user_version is applied, in order, in one IMMEDIATE
// transaction together with the new user_version (all or nothing). A
// database whose version is newer than the last migration is refused with
// FAILED_PRECONDITION naming both versions; `schema_name` goes in messages.
// Returns the version the database had before.
StatusOr<int> sqlite_migrate(SqliteDb& db, const std::vector<SqliteMigration>& migrations,
                             std::string_view schema_name);

}  // namespace impetus
