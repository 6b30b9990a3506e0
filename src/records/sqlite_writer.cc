#include "records/sqlite_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/thread_name.h"
#include "records/wal_write_buffer.h"

namespace custos::records {

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Connection> conn, uint64_t next_seq,
                                     size_t max_group, GroupCommitHooks hooks, std::string wal_path)
    : conn_(std::move(conn)),
      max_group_(max_group == 0 ? 1 : max_group),
      hooks_(std::move(hooks)),
      next_seq_(next_seq),
      wal_path_(std::move(wal_path)) {
  if (!wal_path_.empty()) {
    // COMMIT writes the group's WAL frames without waiting for the disk; the
    // notifier makes them durable with one fdatasync of the WAL before it
    // acknowledges anyone. Should the WAL not open here, COMMIT syncs.
    wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ >= 0 && !conn_->Exec("PRAGMA synchronous=NORMAL", "defer WAL sync").ok()) {
      ::close(wal_fd_);
      wal_fd_ = -1;
    }
  }
  notifier_ = std::thread([this] {
    SetThreadName("custos-notify");
    NotifyLoop();
  });
  thread_ = std::thread([this] {
    SetThreadName("custos-writer");
    Run();
  });
  std::lock_guard lock(mu_);
  thread_id_ = thread_.get_id();
  notifier_id_ = notifier_.get_id();
}

GroupCommitWriter::~GroupCommitWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(notify_mu_);
    notify_stop_ = true;
  }
  notify_cv_.notify_all();
  notifier_.join();
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

Status GroupCommitWriter::SyncWal() {
  // The WAL keeps its inode while the store's connections are open; should
  // it have been replaced, the new file is the one to sync.
  struct stat by_fd {};
  struct stat by_path {};
  if (::fstat(wal_fd_, &by_fd) != 0 || ::stat(wal_path_.c_str(), &by_path) != 0 ||
      by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev) {
    int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open the write-ahead log to sync it");
    ::close(wal_fd_);
    wal_fd_ = fd;
  }
  const int rc = hooks_.sync_wal ? hooks_.sync_wal(wal_fd_) : ::fdatasync(wal_fd_);
  if (rc != 0) return Status::FromErrno(errno, "sync the write-ahead log");
  return Status::OK();
}

void GroupCommitWriter::NotifyLoop() {
  // Once a sync failed, groups the writer committed later follow lost
  // frames in the WAL: no sync can vouch for them either. This is broken_
  // as this thread set it: only this thread sets it, so it need not take
  // the writer's mutex (which every submission takes) to read it back.
  Status lost;
  while (true) {
    std::deque<Finished> batch;
    {
      std::unique_lock lock(notify_mu_);
      notify_cv_.wait(lock, [&] { return notify_stop_ || !finished_.empty(); });
      if (finished_.empty()) return;  // stopped and drained
      batch.swap(finished_);
    }
    // One sync makes every group committed so far durable.
    Status synced = !lost.ok() || wal_fd_ < 0 ? Status::OK() : SyncWal();
    if (!synced.ok()) {
      // After a failed fsync the kernel may have dropped the dirty pages, so
      // no later sync can vouch for them: the store stops taking writes
      // (restart it), and these callers learn that theirs may be lost.
      lost = Status::IOError("the records store could not make writes durable (" +
                             synced.message() + "); restart it");
      std::lock_guard lock(mu_);
      broken_ = lost;
    }
    if (!lost.ok()) {
      for (Finished& f : batch) {
        for (Op& op : f.ops) op.done(op.result.ok() ? lost : std::move(op.result));
      }
      continue;
    }
    for (Finished& f : batch) {
      // The audit log hears of the entries once they are durable and before
      // any writer is acknowledged, so an acknowledged write can be proven
      // at once and a checkpoint never covers an entry a crash could lose.
      if (!f.entries.empty() && hooks_.on_entries) hooks_.on_entries(f.entries);
      for (Op& op : f.ops) op.done(std::move(op.result));
    }
  }
}

Status GroupCommitWriter::Submit(Mutation m) {
  std::promise<Status> promise;
  std::future<Status> result = promise.get_future();
  SubmitAsync(std::move(m), [&promise](Status st) { promise.set_value(std::move(st)); });
  return result.get();
}

void GroupCommitWriter::SubmitAsync(Mutation m, Completion done) {
  {
    std::unique_lock lock(mu_);
    Status refused;
    const std::thread::id self = std::this_thread::get_id();
    if (self == thread_id_ || self == notifier_id_) {
      refused = Status::Internal("records store: write called from the commit listener");
    } else if (stop_) {
      refused = Status::Cancelled("records store is closing");
    } else if (!broken_.ok()) {
      refused = broken_;
    }
    if (!refused.ok()) {
      lock.unlock();
      done(std::move(refused));
      return;
    }
    queue_.push_back(Op{std::move(m), std::move(done), Status::OK()});
  }
  cv_.notify_one();
}

Status GroupCommitWriter::refusal() const {
  std::lock_guard lock(mu_);
  return broken_;
}

uint64_t GroupCommitWriter::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}
uint64_t GroupCommitWriter::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}
uint64_t GroupCommitWriter::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

void GroupCommitWriter::Run() {
  std::vector<Op> group;
  group.reserve(max_group_);
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      while (!queue_.empty() && group.size() < max_group_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    ProcessGroup(group);
    group.clear();
  }
}

namespace {

// Undoes what mutations added to `txn` since the marks, wiping new keys.
void TruncateTxn(WriteTxn& txn, uint64_t seq0, size_t entries0, size_t keys0, size_t destroyed0,
                 bool checkpoint0) {
  txn.next_seq = seq0;
  txn.entries.resize(entries0);
  for (size_t k = keys0; k < txn.new_keys.size(); ++k) {
    SecureWipe(txn.new_keys[k].second.data(), 32);
  }
  txn.new_keys.resize(keys0);
  txn.destroyed.resize(destroyed0);
  txn.checkpoint_after_commit = checkpoint0;
}

}  // namespace

GroupCommitWriter::Pass GroupCommitWriter::RunFast(std::vector<Op>& group, WriteTxn& txn,
                                                   Status& error) {
  for (Op& op : group) {
    Status st = op.mutation(txn);
    if (!st.ok()) {
      error = std::move(st);
      return Pass::kFailed;
    }
  }
  return Pass::kAllRan;
}

GroupCommitWriter::Pass GroupCommitWriter::RunCareful(std::vector<Op>& group, WriteTxn& txn,
                                                      std::vector<Status>& results, Status& error) {
  for (size_t i = 0; i < group.size(); ++i) {
    const uint64_t seq0 = txn.next_seq;
    const size_t entries0 = txn.entries.size();
    const size_t keys0 = txn.new_keys.size();
    const size_t destroyed0 = txn.destroyed.size();
    const bool checkpoint0 = txn.checkpoint_after_commit;
    Status st = conn_->ExecCached("SAVEPOINT op", "savepoint");
    if (st.ok()) st = group[i].mutation(txn);
    if (st.ok()) {
      st = conn_->ExecCached("RELEASE op", "release savepoint");
      if (st.ok()) continue;
    }
    results[i] = st;
    TruncateTxn(txn, seq0, entries0, keys0, destroyed0, checkpoint0);
    if (sqlite3_get_autocommit(conn_->handle()) != 0) {
      // SQLite rolled the whole transaction back (I/O error, disk full):
      // nothing of this group survives.
      for (size_t k = i + 1; k < group.size(); ++k) results[k] = st;
      error = std::move(st);
      return Pass::kFailed;
    }
    Status rb = conn_->Exec("ROLLBACK TO op; RELEASE op", "roll back savepoint");
    if (!rb.ok()) {
      (void)conn_->Exec("ROLLBACK", "roll back");
      error = std::move(rb);
      return Pass::kFailed;
    }
  }
  return Pass::kAllRan;
}

void GroupCommitWriter::ProcessGroup(std::vector<Op>& group) {
  uint64_t start_seq;
  {
    std::lock_guard lock(mu_);
    start_seq = next_seq_;
  }
  WriteTxn txn{*conn_, start_seq, {}, {}, {}, false};
  std::vector<Status> results(group.size());

  auto fail_all = [&](const Status& st) {
    for (size_t i = 0; i < group.size(); ++i) {
      group[i].done(results[i].ok() ? st : results[i]);
    }
  };

  // The first pass runs the mutations without savepoints: a savepoint copies
  // every page its mutation touches into the statement journal, about a
  // quarter of the cost of a create, and most groups have no failing
  // mutation. When one fails, the pass is rolled back and the group runs
  // again with a savepoint around each mutation (a group of one just
  // reports its error).
  Status broken;
  {
    std::lock_guard lock(mu_);
    broken = broken_;
  }
  if (!broken.ok()) {
    fail_all(broken);
    return;
  }
  Status begin = conn_->ExecCached("BEGIN IMMEDIATE", "begin write transaction");
  if (!begin.ok()) {
    fail_all(begin);
    return;
  }
  Status error;
  if (RunFast(group, txn, error) == Pass::kFailed) {
    if (sqlite3_get_autocommit(conn_->handle()) == 0) {
      Status rb = conn_->Exec("ROLLBACK", "roll back");
      if (!rb.ok()) {
        fail_all(rb);
        return;
      }
    }
    TruncateTxn(txn, start_seq, 0, 0, 0, false);
    if (group.size() == 1) {
      group[0].done(std::move(error));
      return;
    }
    begin = conn_->ExecCached("BEGIN IMMEDIATE", "begin write transaction");
    if (!begin.ok()) {
      fail_all(begin);
      return;
    }
    if (RunCareful(group, txn, results, error) == Pass::kFailed) {
      fail_all(error);
      return;
    }
  }
  Status commit = hooks_.before_commit ? hooks_.before_commit(txn) : Status::OK();
  if (commit.ok()) commit = conn_->ExecCached("COMMIT", "commit");
  if (!commit.ok()) {
    if (sqlite3_get_autocommit(conn_->handle()) == 0) {
      (void)conn_->Exec("ROLLBACK", "roll back");
    }
    fail_all(commit);
    return;
  }
  if (hooks_.on_commit) hooks_.on_commit(txn);
  for (auto& [id, key] : txn.new_keys) SecureWipe(key.data(), key.size());
  // COMMIT writes out its frames before it returns (wal_write_buffer.h);
  // should any still be gathered, they are written now, and if that fails,
  // nothing after this group can be vouched for, as after a failed sync.
  Status flushed = FlushWalWrites(conn_->handle());
  if (!flushed.ok()) {
    Status lost = Status::IOError("the records store could not write its write-ahead log (" +
                                  flushed.message() + "); restart it");
    {
      std::lock_guard lock(mu_);
      broken_ = lost;
    }
    fail_all(lost);
    return;
  }
  size_t ok_count = 0;
  for (const Status& s : results) ok_count += s.ok() ? 1 : 0;
  {
    std::lock_guard lock(mu_);
    next_seq_ = txn.next_seq;
    ++commits_;
    writes_ += ok_count;
  }
  for (size_t i = 0; i < group.size(); ++i) group[i].result = std::move(results[i]);
  {
    std::lock_guard lock(notify_mu_);
    finished_.push_back(Finished{std::move(group), std::move(txn.entries)});
  }
  notify_cv_.notify_one();
  group = std::vector<Op>();
}

}  // namespace custos::records
