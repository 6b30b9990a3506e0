#include "records/sqlite_writer.h"

#include "base/thread_name.h"

namespace custos::records {

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Connection> conn, uint64_t next_seq,
                                     size_t max_group, GroupCommitHooks hooks)
    : conn_(std::move(conn)),
      max_group_(max_group == 0 ? 1 : max_group),
      hooks_(std::move(hooks)),
      next_seq_(next_seq) {
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
}

void GroupCommitWriter::NotifyLoop() {
  while (true) {
    std::vector<Op> group;
    {
      std::unique_lock lock(notify_mu_);
      notify_cv_.wait(lock, [&] { return notify_stop_ || !finished_.empty(); });
      if (finished_.empty()) return;  // stopped and drained
      group = std::move(finished_.front());
      finished_.pop_front();
    }
    for (Op& op : group) op.done.set_value(std::move(op.result));
  }
}

Status GroupCommitWriter::Submit(Mutation m) {
  std::future<Status> result;
  {
    std::lock_guard lock(mu_);
    if (std::this_thread::get_id() == thread_id_) {
      return Status::Internal("records store: write called from the commit listener");
    }
    if (stop_) return Status::Cancelled("records store is closing");
    queue_.push_back(Op{std::move(m), {}, Status::OK()});
    result = queue_.back().done.get_future();
  }
  cv_.notify_one();
  return result.get();
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
      group[i].done.set_value(results[i].ok() ? st : results[i]);
    }
  };

  Status begin = conn_->ExecCached("BEGIN IMMEDIATE", "begin write transaction");
  if (!begin.ok()) {
    fail_all(begin);
    return;
  }
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
    txn.next_seq = seq0;
    txn.entries.resize(entries0);
    for (size_t k = keys0; k < txn.new_keys.size(); ++k) {
      SecureWipe(txn.new_keys[k].second.data(), 32);
    }
    txn.new_keys.resize(keys0);
    txn.destroyed.resize(destroyed0);
    txn.checkpoint_after_commit = checkpoint0;
    if (sqlite3_get_autocommit(conn_->handle()) != 0) {
      // SQLite rolled the whole transaction back (I/O error, disk full):
      // nothing of this group survives.
      for (size_t k = i + 1; k < group.size(); ++k) results[k] = st;
      fail_all(st);
      return;
    }
    Status rb = conn_->Exec("ROLLBACK TO op; RELEASE op", "roll back savepoint");
    if (!rb.ok()) {
      (void)conn_->Exec("ROLLBACK", "roll back");
      fail_all(rb);
      return;
    }
  }
  Status commit = conn_->ExecCached("COMMIT", "commit");
  if (!commit.ok()) {
    if (sqlite3_get_autocommit(conn_->handle()) == 0) {
      (void)conn_->Exec("ROLLBACK", "roll back");
    }
    fail_all(commit);
    return;
  }
  if (hooks_.on_commit) hooks_.on_commit(txn);
  for (auto& [id, key] : txn.new_keys) SecureWipe(key.data(), key.size());
  size_t ok_count = 0;
  for (const Status& s : results) ok_count += s.ok() ? 1 : 0;
  {
    std::lock_guard lock(mu_);
    next_seq_ = txn.next_seq;
    ++commits_;
    writes_ += ok_count;
  }
  // The audit log hears of the entries before any writer is acknowledged, so
  // an acknowledged write can be proven at once.
  if (!txn.entries.empty() && hooks_.on_entries) hooks_.on_entries(txn.entries);
  for (size_t i = 0; i < group.size(); ++i) group[i].result = std::move(results[i]);
  {
    std::lock_guard lock(notify_mu_);
    finished_.push_back(std::move(group));
  }
  notify_cv_.notify_one();
  group = std::vector<Op>();
}

}  // namespace custos::records
