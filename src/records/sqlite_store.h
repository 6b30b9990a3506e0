// The SQLite records store: the embedded default implementation of
// RecordsStore (store.h), in one data directory:
//   DIR/records.db (+ -wal, -shm)   records, journal, subject keystore
//   DIR/keys/master.key             the master key (back it up separately)
//   DIR/documents/                  evidence files, content-addressed
//   DIR/records.lock                held while a store is open
//
// SQLite runs in WAL mode; the writer connection uses synchronous=FULL, so a
// write is durable when it is acknowledged, and group commit (one writer
// thread, see sqlite_writer.h) shares one fsync among concurrent writes.
// Readers use a pool of separate connections and never block the writer.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "records/store.h"

namespace custos::records {

// The page size of a records.db this store creates. Larger pages than
// SQLite's default 4 KiB make the long scans of `audit verify` cheaper (fewer
// pages to fetch and step over per row); a store created with another page
// size keeps it.
inline constexpr int kNewStorePageSize = 8192;

struct SqliteStoreOptions {
  size_t max_group = 1024;  // mutations per group commit at most
  size_t reader_connections = 4;
  int busy_timeout_ms = 10000;
  // A trainee's journal entries are copied into the subject index once this
  // many entries have gathered since the last copy (migration 0007).
  uint64_t subject_index_batch = 8192;
  // Fault injection: replaces the fdatasync of the write-ahead log
  // (GroupCommitHooks::sync_wal). Empty in production.
  std::function<int(int fd)> sync_wal;
};

// Opens (creating when absent) the store in `data_dir`, applying pending
// migrations. Errors: Locked when another process has the directory open;
// Corruption / Unsupported from migrations (sqlite_migrations.h) or a bad
// master key; IOError from the file system.
Result<std::unique_ptr<RecordsStore>> OpenSqliteStore(const std::string& data_dir,
                                                      const SqliteStoreOptions& options = {});

// Whether a live record exists in the store of `data_dir`, read on a
// read-only connection: usable while another process (`custos serve`) has
// the store open. False when the directory has no store yet.
Result<bool> SqliteRecordExists(const std::string& data_dir, std::string_view entity,
                                std::string_view id);

}  // namespace custos::records
