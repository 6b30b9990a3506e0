// Checkpointer: moves WAL frames into the database file on its own thread
// and connection, so the writer never pays for a checkpoint's writes and
// fsyncs inside a group commit.
//
// Attach() installs a WAL hook on the writer connection (replacing SQLite's
// automatic checkpoint); after a commit leaves more than `wal_pages` frames
// in the WAL, the hook wakes the checkpointer, which runs a PASSIVE
// checkpoint (it never blocks the writer or readers).
//
// Thread-safety: Attach is called once, before the writer starts. Lifetime:
// the Checkpointer must outlive the writer connection's last commit; the
// destructor stops and joins the thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "records/sqlite_db.h"

namespace custos::records {

class Checkpointer {
 public:
  static Result<std::unique_ptr<Checkpointer>> Start(const std::string& db_path, int wal_pages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void Attach(Connection& writer);
  // Asks for a TRUNCATE checkpoint soon (after an erasure: the erased rows'
  // old pages leave the WAL). It waits for readers on its own thread, never
  // on the writer's.
  void RequestTruncate();
  uint64_t checkpoints() const;

 private:
  Checkpointer(std::unique_ptr<Connection> conn, int wal_pages)
      : conn_(std::move(conn)), wal_pages_(wal_pages) {}
  static int WalHook(void* self, sqlite3* db, const char* name, int pages);
  void Run();

  std::unique_ptr<Connection> conn_;
  const int wal_pages_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool truncate_ = false;
  bool stop_ = false;
  uint64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace custos::records
