// GroupCommitWriter: groups, the pass without savepoints and the fallback
// that isolates a failing mutation, and asynchronous completions.
#include "records/sqlite_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "base/fs.h"

namespace custos::records {
namespace {

// The connection a writer under test owns, in the fresh directory `dir`:
// w.db with table t (k TEXT PRIMARY KEY, n INTEGER).
void OpenTestDb(const std::filesystem::path& dir, std::unique_ptr<Connection>& out) {
  ConnectionOptions o;
  o.create = true;
  auto conn = Connection::Open((dir / "w.db").string(), o);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)", "create").ok());
  out = std::move(conn).value();
}

// The seqs an entries listener (GroupCommitHooks::on_entries) received.
class HeardSeqs {
 public:
  std::function<void(std::span<const CommittedEntry>)> Listener() {
    return [this](std::span<const CommittedEntry> entries) {
      std::lock_guard lock(mu_);
      for (const CommittedEntry& e : entries) seqs_.insert(e.seq);
    };
  }
  std::set<uint64_t> Get() {
    std::lock_guard lock(mu_);
    return seqs_;
  }

 private:
  std::mutex mu_;
  std::set<uint64_t> seqs_;
};

// Inserts key k, then fails when `fail_after_insert` says so.
Mutation Insert(std::string k, bool fail_after_insert = false) {
  return [k, fail_after_insert](WriteTxn& txn) -> Status {
    auto st = txn.conn.Prepare("INSERT INTO t(k, n) VALUES (?, 1)");
    if (!st.ok()) return st.status();
    st->BindText(1, k);
    if (Status s = st->Run("insert"); !s.ok()) return s;
    txn.entries.push_back(CommittedEntry{txn.next_seq, {}, {}});
    ++txn.next_seq;  // as if a journal entry was appended
    if (fail_after_insert) return Status::InvalidArgument("refused " + k);
    return Status::OK();
  };
}

// Parameter: whether the notifier syncs the WAL (deferred sync) or COMMIT does.
class WriterTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::unique_ptr<Connection> conn;
    OpenTestDb(dir_, conn);
    if (HasFatalFailure()) return;
    GroupCommitHooks hooks;
    hooks.on_commit = [this](const WriteTxn&) { ++commits_; };
    hooks.on_entries = heard_.Listener();
    const std::string wal = GetParam() ? (dir_ / "w.db-wal").string() : std::string();
    if (GetParam()) {
      ASSERT_TRUE(std::filesystem::exists(wal));
    }
    writer_ = std::make_unique<GroupCommitWriter>(std::move(conn), 1, 1000, hooks, wal);
  }
  void TearDown() override { writer_.reset(); }

 protected:
  std::set<std::string> Keys() {
    std::set<std::string> out;
    std::promise<void> read;
    writer_->SubmitAsync(
        [&out](WriteTxn& txn) -> Status {
          auto st = txn.conn.Prepare("SELECT k FROM t");
          if (!st.ok()) return st.status();
          while (true) {
            auto row = st->Step("read");
            if (!row.ok()) return row.status();
            if (!*row) break;
            out.insert(std::string(st->ColumnText(0)));
          }
          return Status::OK();
        },
        [&read](Status) { read.set_value(); });
    read.get_future().wait();
    return out;
  }

  // Holds the writer thread until released, so that what is submitted
  // meanwhile forms one group.
  std::promise<void> HoldWriter() {
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    std::promise<void> entered;
    std::future<void> in = entered.get_future();
    writer_->SubmitAsync(
        [gate, &entered](WriteTxn&) -> Status {
          entered.set_value();
          gate.wait();
          return Status::OK();
        },
        [](Status) {});
    in.wait();
    return release;
  }

  bool Heard(uint64_t seq) { return heard_.Get().count(seq) == 1; }

  ScopedTempDir tmp_{"custos-writer-test"};  // outlives writer_
  std::filesystem::path dir_{tmp_.path()};
  std::unique_ptr<GroupCommitWriter> writer_;
  std::atomic<int> commits_{0};
  HeardSeqs heard_;
};

INSTANTIATE_TEST_SUITE_P(Sync, WriterTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Deferred" : "InCommit"; });

TEST_P(WriterTest, OneGroupCommitsOnceAndCompletesEveryOne) {
  std::promise<void> release = HoldWriter();
  const int before = commits_.load();
  std::vector<std::future<Status>> results;
  for (int i = 0; i < 20; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    writer_->SubmitAsync(Insert("k" + std::to_string(i)), [p](Status st) { p->set_value(st); });
  }
  release.set_value();
  for (auto& r : results) EXPECT_TRUE(r.get().ok());
  // The held group commits, then the twenty queued writes commit together.
  EXPECT_EQ(commits_.load() - before, 2);
  EXPECT_EQ(writer_->writes(), 21u);  // with the holding mutation
  EXPECT_EQ(writer_->last_seq(), 20u);
  EXPECT_EQ(Keys().size(), 20u);
}

// Every completion runs after the listener heard of its group's entries.
TEST_P(WriterTest, ListenerHearsAGroupBeforeItsCallers) {
  std::vector<std::future<bool>> heard_first;
  for (int round = 0; round < 3; ++round) {
    std::promise<void> release = HoldWriter();
    for (int i = 0; i < 10; ++i) {
      auto p = std::make_shared<std::promise<bool>>();
      heard_first.push_back(p->get_future());
      const uint64_t seq = static_cast<uint64_t>(round * 10 + i + 1);
      writer_->SubmitAsync(Insert("r" + std::to_string(seq)),
                           [this, p, seq](Status st) { p->set_value(st.ok() && Heard(seq)); });
    }
    release.set_value();
  }
  for (auto& f : heard_first) EXPECT_TRUE(f.get());
  EXPECT_EQ(writer_->last_seq(), 30u);
}

TEST_P(WriterTest, FailingMutationIsRolledBackAloneAfterItsWrite) {
  std::promise<void> release = HoldWriter();
  std::vector<std::future<Status>> results;
  for (int i = 0; i < 6; ++i) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    // The fourth inserts its row and then fails: its row must not survive,
    // the others' must, and each gets its own outcome.
    writer_->SubmitAsync(Insert("k" + std::to_string(i), i == 3),
                         [p](Status st) { p->set_value(st); });
  }
  release.set_value();
  for (int i = 0; i < 6; ++i) {
    Status st = results[static_cast<size_t>(i)].get();
    if (i == 3) {
      EXPECT_EQ(st.code(), Code::kInvalidArgument);
      EXPECT_NE(st.message().find("refused k3"), std::string::npos);
    } else {
      EXPECT_TRUE(st.ok()) << i << ": " << st.ToString();
    }
  }
  EXPECT_EQ(Keys(), (std::set<std::string>{"k0", "k1", "k2", "k4", "k5"}));
  // next_seq counts only the surviving five.
  EXPECT_EQ(writer_->last_seq(), 5u);
}

TEST_P(WriterTest, ConstraintFailureInAGroupKeepsTheOthers) {
  ASSERT_TRUE(writer_->Submit(Insert("dup")).ok());
  std::promise<void> release = HoldWriter();
  std::vector<std::future<Status>> results;
  for (const char* k : {"a", "dup", "b"}) {
    auto p = std::make_shared<std::promise<Status>>();
    results.push_back(p->get_future());
    writer_->SubmitAsync(Insert(k), [p](Status st) { p->set_value(st); });
  }
  release.set_value();
  EXPECT_TRUE(results[0].get().ok());
  EXPECT_FALSE(results[1].get().ok());
  EXPECT_TRUE(results[2].get().ok());
  EXPECT_EQ(Keys(), (std::set<std::string>{"a", "b", "dup"}));
}

TEST_P(WriterTest, GroupOfOneReportsItsErrorAndWritesNothing) {
  Status st = writer_->Submit(Insert("solo", true));
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_TRUE(Keys().empty());
  EXPECT_EQ(writer_->last_seq(), 0u);
  EXPECT_TRUE(writer_->Submit(Insert("next")).ok());
  EXPECT_EQ(writer_->last_seq(), 1u);
}

TEST_P(WriterTest, WritingFromTheWriterThreadIsRefusedThroughTheCompletion) {
  std::promise<Status> inner;
  Status outer = writer_->Submit([&](WriteTxn&) -> Status {
    writer_->SubmitAsync(Insert("nested"), [&](Status st) { inner.set_value(st); });
    return Status::OK();
  });
  EXPECT_TRUE(outer.ok());
  EXPECT_EQ(inner.get_future().get().code(), Code::kInternal);
}

// Fault injection on the deferred WAL sync: a failed fdatasync must reach
// its callers, must keep the entries from the listener, and must stop the
// writer, including for groups it committed while that sync was running.
class SyncFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Connection> conn;
    OpenTestDb(dir_, conn);
    if (HasFatalFailure()) return;
    GroupCommitHooks hooks;
    hooks.on_entries = heard_.Listener();
    hooks.sync_wal = [this](int fd) -> int {
      ++syncs_;
      if (entered_sync_) {
        entered_sync_->set_value();
        entered_sync_ = nullptr;
      }
      if (release_sync_.valid()) release_sync_.wait();
      if (fail_next_.exchange(false)) {
        errno = EIO;
        return -1;
      }
      return ::fdatasync(fd);
    };
    writer_ = std::make_unique<GroupCommitWriter>(std::move(conn), 1, 1000, hooks,
                                                  (dir_ / "w.db-wal").string());
  }
  void TearDown() override { writer_.reset(); }
  std::set<uint64_t> Heard() { return heard_.Get(); }

  ScopedTempDir tmp_{"custos-writer-test"};  // outlives writer_
  std::filesystem::path dir_{tmp_.path()};
  std::unique_ptr<GroupCommitWriter> writer_;
  HeardSeqs heard_;
  std::atomic<int> syncs_{0};
  std::atomic<bool> fail_next_{false};
  std::promise<void>* entered_sync_ = nullptr;  // set before the sync it watches
  std::shared_future<void> release_sync_;       // set before the sync it holds
};

TEST_F(SyncFailureTest, FailedSyncReachesItsCallerAndLaterWritesAreRefused) {
  ASSERT_TRUE(writer_->Submit(Insert("a")).ok());
  EXPECT_EQ(Heard(), (std::set<uint64_t>{1}));
  const int synced = syncs_.load();

  fail_next_ = true;
  Status lost = writer_->Submit(Insert("b"));
  EXPECT_EQ(lost.code(), Code::kIOError);
  EXPECT_NE(lost.message().find("durable"), std::string::npos) << lost.ToString();
  EXPECT_EQ(syncs_.load(), synced + 1);
  EXPECT_EQ(Heard(), (std::set<uint64_t>{1}));

  // The next write never runs: it is refused with the same error, and no
  // sync is attempted for it.
  bool ran = false;
  Status refused = writer_->Submit([&ran](WriteTxn&) -> Status {
    ran = true;
    return Status::OK();
  });
  EXPECT_EQ(refused.code(), Code::kIOError);
  EXPECT_FALSE(ran);
  EXPECT_EQ(syncs_.load(), synced + 1);
  EXPECT_EQ(Heard(), (std::set<uint64_t>{1}));
}

TEST_F(SyncFailureTest, GroupsCommittedDuringAFailingSyncAreNotAcknowledged) {
  ASSERT_TRUE(writer_->Submit(Insert("a")).ok());
  std::promise<void> entered;
  std::promise<void> release;
  entered_sync_ = &entered;
  release_sync_ = release.get_future().share();
  fail_next_ = true;

  std::promise<Status> first;
  writer_->SubmitAsync(Insert("b"), [&first](Status st) { first.set_value(st); });
  entered.get_future().wait();  // the notifier is inside the failing sync
  // Meanwhile the writer commits another group; it must not be acknowledged
  // by a later sync that succeeds.
  const uint64_t commits = writer_->commits();
  std::promise<Status> second;
  writer_->SubmitAsync(Insert("c"), [&second](Status st) { second.set_value(st); });
  while (writer_->commits() == commits) std::this_thread::yield();
  release.set_value();

  EXPECT_EQ(first.get_future().get().code(), Code::kIOError);
  EXPECT_EQ(second.get_future().get().code(), Code::kIOError);
  EXPECT_EQ(Heard(), (std::set<uint64_t>{1}));
}

}  // namespace
}  // namespace custos::records
