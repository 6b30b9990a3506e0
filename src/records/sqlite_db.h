// Thin RAII wrappers over SQLite handles: a connection (sqlite3*) with a cache
// of prepared statements, and a statement lease that resets on release.
//
// Contract
// - A Connection is used by one thread at a time (SQLite is opened in
//   multi-thread mode: no sharing of a connection across threads without
//   external locking). The store gives the writer thread its own connection
//   and hands reader connections out of a pool.
// - Every error is a Status naming the operation, never the bound values
//   (which may hold personal data). SQLITE_BUSY maps to Retryable,
//   SQLITE_FULL to NoSpace, SQLITE_CORRUPT/NOTADB to Corruption,
//   SQLITE_IOERR to IOError, anything else to Internal.
// - Statements returned by Prepare() stay owned by the connection's cache;
//   a StmtLease resets the statement and clears its bindings when it goes
//   out of scope, so a cached statement never holds a read transaction open.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::records {

// Maps a SQLite result code to a Status; `what` names the operation.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

// A prepared statement borrowed from a Connection's cache.
class StmtLease {
 public:
  StmtLease(sqlite3_stmt* stmt, sqlite3* db, bool owned) : stmt_(stmt), db_(db), owned_(owned) {}
  StmtLease(StmtLease&& o) noexcept : stmt_(o.stmt_), db_(o.db_), owned_(o.owned_) {
    o.stmt_ = nullptr;
  }
  StmtLease(const StmtLease&) = delete;
  StmtLease& operator=(const StmtLease&) = delete;
  StmtLease& operator=(StmtLease&&) = delete;
  ~StmtLease();

  // Parameters are 1-based, as in SQLite.
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // Binds without copying: `v` must stay alive until the lease ends.
  void BindTextStatic(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindBlob(int i, ByteView v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlobStatic(int i, ByteView v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }

  // Advances: true when a row is available, false when done, error otherwise.
  Result<bool> Step(std::string_view what);
  // Runs a statement that returns no rows.
  Status Run(std::string_view what);

  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string_view ColumnText(int i) const;
  ByteView ColumnBlob(int i) const;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  bool owned_;  // finalized (not returned to a cache) at the end of the lease
};

struct ConnectionOptions {
  bool read_only = false;
  bool create = false;
  int busy_timeout_ms = 10000;
  // FULL makes a COMMIT durable when it returns (one fsync of the WAL).
  bool synchronous_full = true;
  // The registered VFS to open with; nullptr: SQLite's default.
  const char* vfs = nullptr;
  // With `create`, the page size of a database created by this open (a
  // power of two, 512..65536); 0: SQLite's default. An existing database
  // keeps its own.
  int page_size = 0;
};

class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql, std::string_view what);
  // Runs one statement that returns no rows, through the statement cache
  // (for BEGIN, SAVEPOINT, COMMIT on the hot path).
  Status ExecCached(std::string_view sql, std::string_view what);
  // A cached prepared statement for `sql` (for the fixed statements of the
  // store). Leases of different statements may be held at the same time.
  Result<StmtLease> Prepare(std::string_view sql);
  // A statement that is finalized when its lease ends (for SQL built at run
  // time, whose shapes are unbounded).
  Result<StmtLease> PrepareOnce(std::string_view sql);

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
};

}  // namespace custos::records
