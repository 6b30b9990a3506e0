// The verifier's connections to DIR/records.db: read-only (query_only),
// through the read-ahead VFS (verify_vfs.h) when it registered, with a small
// page cache (the scans read each page once), and opened together so that
// all of them read one state of the store.
//
// Thread-safety: each connection belongs to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "records/sqlite_db.h"

namespace custos::records {

class ScanConnection {
 public:
  static Result<std::unique_ptr<ScanConnection>> Open(const std::string& path);
  ~ScanConnection();
  ScanConnection(const ScanConnection&) = delete;
  ScanConnection& operator=(const ScanConnection&) = delete;

  Status Exec(const char* sql, std::string_view what);
  // A statement finalized when its lease ends.
  Result<StmtLease> PrepareOnce(std::string_view sql);
  sqlite3* handle() const { return db_; }
  // verify_vfs.h kReadAheadControl (ignored without the VFS).
  void SetReadAhead(bool on);

 private:
  explicit ScanConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Up to `count` connections (at least one), each inside a read transaction,
// all of the same state: they start their transactions while holding the
// store's write lock (BEGIN IMMEDIATE on a further connection, for about a
// millisecond; a writer waits that long), so no commit can fall between
// them. Where the write lock cannot be had within `lock_timeout_ms` (a
// read-only database, a long write), one connection is returned. Each
// transaction ends when its connection closes. Errors when SQLite fails.
Result<std::vector<std::unique_ptr<ScanConnection>>> OpenSnapshot(const std::string& path,
                                                                  size_t count,
                                                                  int lock_timeout_ms = 10000);

}  // namespace custos::records
