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
// accumulate into) what it hands back. The writer then COMMITs once for the
// whole group, runs the commit hook, and passes the group to a second
// thread, the notifier, that makes it durable and wakes the callers (waking
// a blocked thread costs tens of microseconds, and the writer should spend
// them on the next group instead).
//
// Durability. Given the WAL's path, the writer's connection runs with
// synchronous=NORMAL: COMMIT writes the group's frames to the WAL without
// waiting for the disk, and the writer moves on to the next group while the
// notifier makes every group committed so far durable with one fdatasync of
// the WAL. Either way a Submit returns OK, and a completion receives OK, only
// once its group's COMMIT is on disk; the entries listener hears of a group
// at that point too, before its callers. Readers may see a committed group a
// moment before it is durable. Should fdatasync fail, the callers of that
// batch and of every group committed after it get IOError, the listener
// hears of none of them, and the writer refuses every later write: the
// kernel may have dropped the unwritten pages, and a WAL frame after a lost
// one is discarded on recovery, so no later sync could vouch for them.
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
  uint64_t subject_indexed_through = 0;  // before_commit indexed the journal up to this seq
};

using Mutation = std::function<Status(WriteTxn&)>;
// Receives a submitted mutation's outcome, exactly once.
using Completion = std::function<void(Status)>;

struct GroupCommitHooks {
  // Writer thread, after the group's mutations ran and before COMMIT: upkeep
  // written in the same transaction (the store's batched subject index). It
  // must leave the transaction open; an error fails the whole group.
  std::function<Status(WriteTxn&)> before_commit;
  // Writer thread, after COMMIT: publish new/destroyed keys.
  std::function<void(const WriteTxn&)> on_commit;
  // Notifier thread, once the group is durable and before its callers are
  // woken, groups in commit order: the commit listener.
  std::function<void(std::span<const CommittedEntry>)> on_entries;
  // Notifier thread: makes the WAL durable (deferred sync only); returns 0
  // or -1 with errno set, as ::fdatasync, which is the default. Fault
  // injection replaces it.
  std::function<int(int fd)> sync_wal;
};

class GroupCommitWriter {
 public:
  // `wal_path`: the connection's write-ahead log, synced by the notifier
  // (see Durability above); empty: every COMMIT syncs (synchronous as set).
  GroupCommitWriter(std::unique_ptr<Connection> conn, uint64_t next_seq, size_t max_group,
                    GroupCommitHooks hooks, std::string wal_path = {});
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  // Runs `m` in the next group and waits until its group committed.
  Status Submit(Mutation m);
  // Runs `m` in the next group and returns at once. `done` gets the outcome
  // exactly once: on the notifier thread after the group committed, on the
  // writer thread when the group failed, or on the calling thread, before
  // SubmitAsync returns, when the writer is closing or refuses writes or the
  // caller is the writer or notifier thread. `done` must be quick: it delays
  // the next callers' wake-up.
  void SubmitAsync(Mutation m, Completion done);

  uint64_t last_seq() const;
  uint64_t commits() const;
  uint64_t writes() const;
  // OK while writes are taken; after a failed WAL sync, the IOError every
  // write is refused with from then on.
  Status refusal() const;

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
  // Makes finished groups durable, tells the listener, wakes their callers
  // (notifier thread).
  void NotifyLoop();
  Status SyncWal();

  struct Finished {
    std::vector<Op> ops;
    std::vector<CommittedEntry> entries;
  };

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
  Status broken_;  // set (by the notifier only) when a sync failed: every later write is refused
  std::thread thread_;
  std::thread::id thread_id_;
  std::thread::id notifier_id_;
  const std::string wal_path_;
  int wal_fd_ = -1;  // notifier thread (set before it starts)

  std::mutex notify_mu_;
  std::condition_variable notify_cv_;
  std::deque<Finished> finished_;  // committed groups whose callers await waking
  bool notify_stop_ = false;
  std::thread notifier_;
};

}  // namespace custos::records
