// The checkpointer (sqlite_checkpointer.h): no checkpoint while the WAL
// holds fewer frames than its threshold, a checkpoint soon after a commit
// crosses it (the pages reach the database file), and a TRUNCATE
// checkpoint on request that empties the WAL file.
#include "records/sqlite_checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "base/fs.h"
#include "base/random.h"
#include "records/sqlite_db.h"

namespace custos::records {
namespace {

constexpr int kPageSize = 4096;
constexpr int kThreshold = 40;  // frames

class CheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = tmp_.Sub("t.db");
    ConnectionOptions o;
    o.create = true;
    o.synchronous_full = false;
    o.page_size = kPageSize;
    auto c = Connection::Open(path_, o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    writer_ = std::move(*c);
    ASSERT_TRUE(writer_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)", "create").ok());
    // A checkpoint now, by hand, so that the WAL starts empty and the
    // database file holds the table.
    ASSERT_TRUE(writer_->Exec("PRAGMA wal_checkpoint(TRUNCATE)", "reset").ok());
    auto ck = Checkpointer::Start(path_, kThreshold);
    ASSERT_TRUE(ck.ok()) << ck.status().ToString();
    checkpointer_ = std::move(*ck);
    checkpointer_->Attach(*writer_);
  }
  void TearDown() override {
    writer_.reset();
    checkpointer_.reset();
  }

  // One commit of one row about a page long (one or two new frames).
  void Commit() {
    auto st = writer_->Prepare("INSERT INTO t (body) VALUES (?)");
    ASSERT_TRUE(st.ok());
    Bytes body(kPageSize - 200);
    RandomFill(body);
    st->BindBlob(1, body);
    ASSERT_TRUE(st->Run("insert").ok());
  }
  int64_t WalFrames() const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_ + "-wal", ec);
    if (ec || size < 32) return 0;
    return static_cast<int64_t>((size - 32) / (kPageSize + 24));
  }
  int64_t DbBytes() const { return static_cast<int64_t>(std::filesystem::file_size(path_)); }
  // Waits up to five seconds for `done`.
  template <typename F>
  bool WaitFor(F done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  ScopedTempDir tmp_{"custos-ckpt-test"};  // outlives the connections
  std::string path_;
  std::unique_ptr<Connection> writer_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

TEST_F(CheckpointerTest, WaitsForTheThresholdThenCopiesTheWalIntoTheDatabase) {
  const int64_t db_before = DbBytes();
  int commits = 0;
  while (WalFrames() < kThreshold) {
    // Below the threshold the hook never wakes the thread: nothing to wait
    // for before asserting.
    ASSERT_EQ(checkpointer_->checkpoints(), 0u) << "at " << WalFrames() << " frames";
    Commit();
    ASSERT_LT(++commits, 10 * kThreshold) << "the WAL does not grow";
  }
  EXPECT_GE(commits, kThreshold / 4);  // up to ~3 frames per commit: leaf, parent, root
  ASSERT_TRUE(WaitFor([&] { return checkpointer_->checkpoints() >= 1; }))
      << "no checkpoint after the WAL reached " << WalFrames() << " frames";
  // A PASSIVE checkpoint copies the frames into the database file (which
  // grows by the new pages) and leaves the WAL file as it is.
  EXPECT_GT(DbBytes(), db_before + static_cast<int64_t>(commits / 2) * kPageSize);
  EXPECT_GE(WalFrames(), kThreshold);
  auto st = writer_->Prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step("count"));
  EXPECT_EQ(st->ColumnInt(0), commits);
}

TEST_F(CheckpointerTest, TruncatesTheWalOnRequest) {
  for (int i = 0; i < 5; ++i) Commit();
  ASSERT_GT(WalFrames(), 0);
  ASSERT_EQ(checkpointer_->checkpoints(), 0u);
  checkpointer_->RequestTruncate();
  ASSERT_TRUE(WaitFor([&] { return checkpointer_->checkpoints() >= 1; }));
  EXPECT_TRUE(WaitFor([&] {
    std::error_code ec;
    return std::filesystem::file_size(path_ + "-wal", ec) == 0 && !ec;
  })) << "WAL still holds "
      << WalFrames() << " frames";
}

}  // namespace
}  // namespace custos::records
