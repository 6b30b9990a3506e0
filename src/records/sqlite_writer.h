// GroupCommitWriter: the one thread that owns the SQLite write connection.
//
// Callers Submit() a mutation and block until it is durable, or SubmitAsync()
// it with a completion that runs once it is durable. The writer takes
// everything queued (up to max_group), opens one BEGIN IMMEDIATE transaction
// and runs the mutations one after another. Should one fail, that pass is
// rolled back and the group runs again with each mutation inside its own
// SAVEPOINT, so a failing mutation rolls back only itself and gets its own
// error. A mutation may therefore run more than once: each run must start
// from its captured inputs and the database, and may only assign (not
// accumulate into) what it hands back. The writer then COMMITs once (one WAL
// fsync for
// the whole group, synchronous=FULL), hands the group's journal entries to
// the commit hook in seq order, and passes the group to a second thread that
// wakes the callers (waking a blocked thread costs tens of microseconds, and
// the writer should spend them on the next group instead). A Submit returns
// OK, and a completion receives OK, only after COMMIT returned OK.
//
// Thread-safety: Submit and SubmitAsync may be called from any thread except
// the writer thread itself (they fail with Internal there: the commit hook
// must not write).
// Lifetime: the destructor finishes every queued mutation, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "crypto/aead.h"
#include "records/journal.h"
#include "records/sqlite_db.h"

namespace custos::records {

// The state of the open group transaction, shared by its mutations. A
// mutation that fails has its additions to `entries`, `new_keys` and
// `destroyed` undone, and next_seq reset, by the writer.
struct WriteTxn {
  Connection& conn;
  uint64_t next_seq = 1;                                 // seq of the next journal entry
  std::vector<CommittedEntry> entries;                   // appended this group, in seq order
  std::vector<std::pair<std::string, Key256>> new_keys;  // subject keys created
  std::vector<std::string> destroyed;                    // subject keys destroyed
  bool checkpoint_after_commit = false;                  // erasure: truncate the WAL soon after
};

using Mutation = std::function<Status(WriteTxn&)>;
// Receives a submitted mutation's outcome, exactly once.
using Completion = std::function<void(Status)>;

struct GroupCommitHooks {
  // After COMMIT, before callers are woken: publish new/destroyed keys.
  std::function<void(const WriteTxn&)> on_commit;
  // After COMMIT, before callers are woken: the commit listener.
  std::function<void(std::span<const CommittedEntry>)> on_entries;
};

class GroupCommitWriter {
 public:
  GroupCommitWriter(std::unique_ptr<Connection> conn, uint64_t next_seq, size_t max_group,
                    GroupCommitHooks hooks);
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Runs `m` in the next group and waits until its group committed.
  Status Submit(Mutation m);
  // Runs `m` in the next group and returns at once. `done` gets the outcome
  // exactly once: on the notifier thread after the group committed, on the
  // writer thread when the group failed, or on the calling thread, before
  // SubmitAsync returns, when the writer is closing or the caller is the
  // writer thread. `done` must be quick: it delays the next callers' wake-up.
  void SubmitAsync(Mutation m, Completion done);

  uint64_t last_seq() const;
  uint64_t commits() const;
  uint64_t writes() const;

 private:
  struct Op {
    Mutation mutation;
    Completion done;
    Status result;
  };

  enum class Pass { kAllRan, kFailed };

  void Run();
  void ProcessGroup(std::vector<Op>& group);
  // Runs the group's mutations in the open transaction, stopping at the
  // first error (left in `error`).
  Pass RunFast(std::vector<Op>& group, WriteTxn& txn, Status& error);
  // Runs each mutation in its own savepoint: a failing one is rolled back
  // alone and its error kept in `results`. kFailed (with `error`) when the
  // transaction itself is lost, which fails the whole group.
  Pass RunCareful(std::vector<Op>& group, WriteTxn& txn, std::vector<Status>& results,
                  Status& error);
  // Wakes every caller of a finished group (notifier thread).
  void NotifyLoop();

  std::unique_ptr<Connection> conn_;
  const size_t max_group_;
  GroupCommitHooks hooks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> queue_;
  bool stop_ = false;
  uint64_t next_seq_;  // writer thread only (read under mu_ by last_seq())
  uint64_t commits_ = 0;
  uint64_t writes_ = 0;
  std::thread thread_;
  std::thread::id thread_id_;

  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  std::deque<std::vector<Op>> finished_;  // groups whose callers await waking
  bool notify_stop_ = false;
  std::thread notifier_;
};

}  // namespace custos::records
