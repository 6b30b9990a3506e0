#include "records/verify_scan.h"

#include <algorithm>

#include "records/verify_vfs.h"

namespace custos::records {
namespace {

// Starts the read transaction: it takes its snapshot at the first read.
Status BeginRead(ScanConnection& conn) {
  RETURN_IF_ERROR(conn.Exec("BEGIN", "begin read transaction"));
  ASSIGN_OR_RETURN(StmtLease st, conn.PrepareOnce("SELECT MAX(seq) FROM journal"));
  return st.Step("read journal").status();
}

}  // namespace

Result<std::unique_ptr<ScanConnection>> ScanConnection::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                           ReadAheadVfs());
  std::unique_ptr<ScanConnection> conn(new ScanConnection(db));
  if (rc != SQLITE_OK) return SqliteStatus(rc, db, "open database");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10000);
  RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON", "set query_only"));
  // A small page cache (32 pages): the scans read each page once, and a
  // few buffers reused over and over stay in the core's caches, where
  // SQLite's copy of each page from the read-ahead chunk (verify_vfs.h)
  // lands (measured: about 3% less time for a million entries than the
  // default 2 MiB). The limit is soft: pages a cursor holds are never
  // refused.
  RETURN_IF_ERROR(conn->Exec("PRAGMA cache_size=-128", "set cache_size"));
  return conn;
}

ScanConnection::~ScanConnection() { sqlite3_close_v2(db_); }

Status ScanConnection::Exec(const char* sql, std::string_view what) {
  return SqliteStatus(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_, what);
}

Result<StmtLease> ScanConnection::PrepareOnce(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare statement");
  return StmtLease(stmt, db_, true);
}

void ScanConnection::SetReadAhead(bool on) {
  int arg = on ? 1 : 0;
  sqlite3_file_control(db_, "main", kReadAheadControl, &arg);  // unknown without the VFS: fine
}

Result<std::vector<std::unique_ptr<ScanConnection>>> OpenSnapshot(const std::string& path,
                                                                  size_t count,
                                                                  int lock_timeout_ms) {
  std::vector<std::unique_ptr<ScanConnection>> conns;
  for (size_t i = 0; i < std::max<size_t>(count, 1); ++i) {
    ASSIGN_OR_RETURN(std::unique_ptr<ScanConnection> conn, ScanConnection::Open(path));
    conns.push_back(std::move(conn));
  }
  if (conns.size() > 1) {
    // The write lock, held while the transactions start: a plain connection
    // that never writes and rolls back.
    sqlite3* lock = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &lock, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_busy_timeout(lock, lock_timeout_ms);
      rc = sqlite3_exec(lock, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    }
    Status started;
    if (rc == SQLITE_OK) {
      for (size_t i = 0; i < conns.size() && started.ok(); ++i) started = BeginRead(*conns[i]);
      sqlite3_exec(lock, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    sqlite3_close_v2(lock);
    if (rc == SQLITE_OK) {
      RETURN_IF_ERROR(started);
      return conns;
    }
    conns.resize(1);
  }
  RETURN_IF_ERROR(BeginRead(*conns[0]));
  return conns;
}

}  // namespace custos::records
