#include "records/sqlite_db.h"

#include <string>

#include "records/sqlite_pcache.h"

namespace custos::records {

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::OK();
  // sqlite3_errmsg never contains bound values, only the statement's shape.
  std::string msg =
      "sqlite: " + std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Retryable(std::move(msg));
    case SQLITE_FULL:
      return Status::NoSpace(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return Status::IOError(std::move(msg));
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(msg));
    default:
      return Status::Internal(std::move(msg));
  }
}

StmtLease::~StmtLease() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Result<bool> StmtLease::Step(std::string_view what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db_, what);
}

Status StmtLease::Run(std::string_view what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::OK();
  return SqliteStatus(rc, db_, what);
}

std::string_view StmtLease::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
}

ByteView StmtLease::ColumnBlob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  if (p == nullptr) return {};
  return {static_cast<const uint8_t*>(p), static_cast<size_t>(n)};
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                     const ConnectionOptions& options) {
  // Before SQLite's first initialisation in the process (sqlite_pcache.h).
  InstallPageCacheLayer();
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_READWRITE;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, options.vfs);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(rc, db, "open database");
    sqlite3_close_v2(db);
    return st;
  }
  sqlite3_extended_result_codes(db, 1);
  std::unique_ptr<Connection> conn(new Connection(db));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON", "enable foreign keys"));
  if (options.read_only) {
    // query_only instead of SQLITE_OPEN_READONLY: a read-only open cannot
    // attach to a WAL whose -shm file it may need to create.
    RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON", "set query_only"));
  } else {
    // Before WAL mode, whose first write fixes the page size of a new file.
    if (options.create && options.page_size != 0) {
      RETURN_IF_ERROR(
          conn->Exec("PRAGMA page_size=" + std::to_string(options.page_size), "set page size"));
    }
    RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL", "enable WAL"));
    RETURN_IF_ERROR(conn->Exec(
        options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
        "set synchronous"));
  }
  return conn;
}

Connection::~Connection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Status Connection::Exec(std::string_view sql, std::string_view what) {
  std::string s(sql);
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, what);
}

Status Connection::ExecCached(std::string_view sql, std::string_view what) {
  ASSIGN_OR_RETURN(StmtLease st, Prepare(sql));
  return st.Run(what);
}

Result<StmtLease> Connection::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare statement");
    it = cache_.emplace(std::move(key), std::unique_ptr<sqlite3_stmt, StmtDeleter>(stmt)).first;
  }
  return StmtLease(it->second.get(), db_, false);
}

Result<StmtLease> Connection::PrepareOnce(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare statement");
  return StmtLease(stmt, db_, true);
}

}  // namespace custos::records
