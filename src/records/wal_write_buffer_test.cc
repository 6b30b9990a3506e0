// The WAL write buffer against the real unix VFS and kernel: a commit's
// frames reach the file in one write, every commit is in the file (and seen
// by other connections) when COMMIT returns, and a write that fails fails
// the COMMIT and loses nothing committed before it.
#include "records/wal_write_buffer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "base/random.h"
#include "records/sqlite_db.h"

namespace custos::records {
namespace {

class WalWriteBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/walbuf-" + RandomHex(6);
    std::filesystem::create_directories(dir_);
    path_ = dir_ + "/t.db";
    ConnectionOptions o;
    o.create = true;
    o.synchronous_full = false;
    o.vfs = WalWriteBufferVfs();
    ASSERT_NE(o.vfs, nullptr);
    auto w = Connection::Open(path_, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(*w);
    // No automatic checkpoints: the WAL keeps every commit, to be read back.
    ASSERT_TRUE(writer_->Exec("PRAGMA wal_autocheckpoint=0", "no checkpoints").ok());
    ASSERT_TRUE(
        writer_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)", "create")
            .ok());
    ConnectionOptions r;
    auto rd = Connection::Open(path_, r);
    ASSERT_TRUE(rd.ok()) << rd.status().ToString();
    reader_ = std::move(*rd);
  }
  void TearDown() override {
    reader_.reset();
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Inserts `rows` rows of `bytes` random bytes each in one transaction.
  Status InsertRows(int rows, int bytes) {
    RETURN_IF_ERROR(writer_->Exec("BEGIN IMMEDIATE", "begin"));
    for (int i = 0; i < rows; ++i) {
      ASSIGN_OR_RETURN(StmtLease st, writer_->Prepare("INSERT INTO t (body) VALUES (?)"));
      Bytes body(static_cast<size_t>(bytes));
      RandomFill(body);
      st.BindBlob(1, body);
      Status ran = st.Run("insert");
      if (!ran.ok()) {
        (void)writer_->Exec("ROLLBACK", "roll back");
        return ran;
      }
    }
    Status committed = writer_->Exec("COMMIT", "commit");
    if (!committed.ok() && sqlite3_get_autocommit(writer_->handle()) == 0) {
      (void)writer_->Exec("ROLLBACK", "roll back");
    }
    return committed;
  }

  static int64_t Count(Connection& c) {
    auto st = c.PrepareOnce("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(st.ok());
    auto row = st->Step("count");
    EXPECT_TRUE(row.ok() && *row);
    return st->ColumnInt(0);
  }

  static std::string IntegrityCheck(Connection& c) {
    auto st = c.PrepareOnce("PRAGMA integrity_check");
    EXPECT_TRUE(st.ok());
    auto row = st->Step("integrity check");
    EXPECT_TRUE(row.ok() && *row);
    return std::string(st->ColumnText(0));
  }

  std::string dir_, path_;
  std::unique_ptr<Connection> writer_, reader_;
};

TEST_F(WalWriteBufferTest, ACommitIsOneWrite) {
  ASSERT_TRUE(InsertRows(1, 100).ok());  // the WAL's header is written
  // Twenty rows of 3,000 bytes: twenty new pages and an interior page, each
  // frame written by SQLite as a header and a page.
  const uint64_t before = WalWriteBufferWrites();
  ASSERT_TRUE(InsertRows(20, 3000).ok());
  EXPECT_EQ(WalWriteBufferWrites() - before, 1u);
  EXPECT_EQ(Count(*reader_), 21);
}

TEST_F(WalWriteBufferTest, EveryCommitIsInTheFileWhenCommitReturns) {
  int64_t rows = 0;
  for (int i = 0; i < 120; ++i) {
    // Small commits, commits past one write's 124 KiB, and every tenth past
    // the buffer's 1 MiB.
    const int n = i % 10 == 9 ? 400 : 1 + static_cast<int>(RandomU64() % 60);
    ASSERT_TRUE(InsertRows(n, 1 + static_cast<int>(RandomU64() % 3000)).ok()) << i;
    rows += n;
    ASSERT_TRUE(FlushWalWrites(writer_->handle()).ok());
    ASSERT_EQ(Count(*reader_), rows) << i;
  }
  // A copy of the files as they are now, with the writer still open and
  // nothing checkpointed, is what a crash would leave: every commit is in
  // it.
  const std::string copy = dir_ + "/copy.db";
  std::filesystem::copy_file(path_, copy);
  std::filesystem::copy_file(path_ + "-wal", copy + "-wal");
  auto c = Connection::Open(copy, ConnectionOptions{});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Count(**c), rows);
  EXPECT_EQ(IntegrityCheck(**c), "ok");
}

TEST_F(WalWriteBufferTest, AFailedWriteFailsTheCommitAndLosesNothingBefore) {
  ASSERT_TRUE(InsertRows(30, 1000).ok());
  const auto wal_size = std::filesystem::file_size(path_ + "-wal");
  // Writes past the WAL's current end + 64 KiB fail (EFBIG) from now on.
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit low = old;
  low.rlim_cur = wal_size + (64 << 10);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
  Status failed = InsertRows(100, 2000);  // ~50 pages: past the limit
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(failed.code() == Code::kIOError || failed.code() == Code::kNoSpace)
      << failed.ToString();
  EXPECT_EQ(Count(*reader_), 30);
  // The store goes on: the next commit lands after the 30 rows.
  ASSERT_TRUE(InsertRows(5, 100).ok());
  EXPECT_EQ(Count(*reader_), 35);
  EXPECT_EQ(IntegrityCheck(*reader_), "ok");
  const std::string copy = dir_ + "/copy.db";
  std::filesystem::copy_file(path_, copy);
  std::filesystem::copy_file(path_ + "-wal", copy + "-wal");
  auto c = Connection::Open(copy, ConnectionOptions{});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Count(**c), 35);
  EXPECT_EQ(IntegrityCheck(**c), "ok");
}

TEST_F(WalWriteBufferTest, FlushIsANoOpElsewhere) {
  EXPECT_TRUE(FlushWalWrites(reader_->handle()).ok());  // default VFS
  EXPECT_TRUE(FlushWalWrites(writer_->handle()).ok());  // nothing gathered
}

}  // namespace
}  // namespace custos::records
