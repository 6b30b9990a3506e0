// FrameCoalescingVfs: frames go out in one write each, and what it writes
// is exactly what SQLite would have written: a plain connection reads it,
// and a copy of the files taken right after a commit (as a crash would
// leave them) recovers every committed row, including after SQLite
// rewrote frame headers in place.
#include "records/wal_vfs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/random.h"
#include "records/sqlite_db.h"

namespace custos::records {
namespace {

namespace fs = std::filesystem;

class WalVfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/wal-vfs-" + RandomHex(6);
    fs::create_directories(dir_);
    path_ = dir_ + "/t.db";
    ASSERT_NE(FrameCoalescingVfs(), nullptr);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Connection> Open(const std::string& path, bool coalesce) {
    ConnectionOptions o;
    o.create = true;
    o.synchronous_full = false;
    o.coalesce_wal_frames = coalesce;
    auto c = Connection::Open(path, o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // Rows and a checksum of their contents, through `c`.
  static std::pair<int64_t, int64_t> Summary(Connection& c) {
    auto st = c.PrepareOnce("SELECT COUNT(*), TOTAL(LENGTH(v) * id) FROM t");
    EXPECT_TRUE(st.ok());
    auto row = st->Step("summary");
    EXPECT_TRUE(row.ok() && *row);
    return {st->ColumnInt(0), static_cast<int64_t>(sqlite3_column_double(st->get(), 1))};
  }
  static std::string IntegrityCheck(Connection& c) {
    auto st = c.PrepareOnce("PRAGMA integrity_check");
    EXPECT_TRUE(st.ok());
    auto row = st->Step("integrity_check");
    EXPECT_TRUE(row.ok() && *row);
    return std::string(st->ColumnText(0));
  }
  // The database and its WAL as a crash right now would leave them, opened
  // by a plain connection (which recovers the WAL).
  std::unique_ptr<Connection> CrashCopy() {
    const std::string copy = dir_ + "/copy";
    fs::create_directories(copy);
    fs::copy_file(path_, copy + "/t.db", fs::copy_options::overwrite_existing);
    fs::copy_file(path_ + "-wal", copy + "/t.db-wal", fs::copy_options::overwrite_existing);
    fs::remove(copy + "/t.db-shm");
    return Open(copy + "/t.db", false);
  }
  // Right after a commit through `w`, before anything else touches its
  // files: a crash copy, a plain connection and `w` itself all read the
  // same `rows` rows, and the copy and the plain connection pass
  // integrity_check.
  void ExpectEveryoneReadsTheSame(Connection& w, int64_t rows) {
    auto copy = CrashCopy();
    ASSERT_NE(copy, nullptr);
    auto r = Open(path_, false);
    ASSERT_NE(r, nullptr);
    const auto recovered = Summary(*copy);
    EXPECT_EQ(recovered.first, rows);
    EXPECT_EQ(Summary(*r), recovered);
    EXPECT_EQ(Summary(w), recovered);
    EXPECT_EQ(IntegrityCheck(*copy), "ok");
    EXPECT_EQ(IntegrityCheck(*r), "ok");
  }
  static void Insert(Connection& c, int from, int to, int size) {
    for (int i = from; i < to; ++i) {
      auto st = c.PrepareOnce("INSERT INTO t (id, v) VALUES (?, randomblob(?))");
      ASSERT_TRUE(st.ok());
      st->BindInt(1, i);
      st->BindInt(2, size);
      ASSERT_TRUE(st->Step("insert").ok());
    }
  }

  std::string dir_, path_;
};

TEST_F(WalVfsTest, EachFrameIsOneWriteAndAPlainConnectionReadsThem) {
  auto w = Open(path_, true);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Exec("PRAGMA wal_autocheckpoint=0", "no checkpoints").ok());
  ASSERT_TRUE(w->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)", "create").ok());
  const FrameCoalescingStats before = FrameCoalescingCounts();
  const auto wal_size = [&] { return static_cast<int64_t>(fs::file_size(path_ + "-wal")); };
  const int64_t size_before = wal_size();
  for (int group = 0; group < 20; ++group) {
    ASSERT_TRUE(w->Exec("BEGIN IMMEDIATE", "begin").ok());
    Insert(*w, group * 50, group * 50 + 50, 300);
    ASSERT_TRUE(w->Exec("COMMIT", "commit").ok());
  }
  const FrameCoalescingStats after = FrameCoalescingCounts();
  const int64_t frames = (wal_size() - size_before) / (4096 + 24);
  ASSERT_GT(frames, 20);
  EXPECT_EQ(after.combined - before.combined, static_cast<uint64_t>(frames));
  EXPECT_EQ(after.wal_writes - before.wal_writes, static_cast<uint64_t>(frames));
  EXPECT_EQ(after.lone_headers, before.lone_headers);
  ExpectEveryoneReadsTheSame(*w, 1000);
}

TEST_F(WalVfsTest, HeadersRewrittenInPlaceAreWrittenAndRecovered) {
  auto w = Open(path_, true);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->Exec("PRAGMA wal_autocheckpoint=0", "no checkpoints").ok());
  ASSERT_TRUE(w->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)", "create").ok());
  Insert(*w, 0, 10, 100);
  // A page cache of a few pages: the transaction spills frames to the WAL
  // before its commit, then changes pages it already spilled, which SQLite
  // overwrites in place and, at the commit, re-checksums by rewriting the
  // headers of the frames after them (walRewriteChecksums).
  ASSERT_TRUE(w->Exec("PRAGMA cache_size=2", "small cache").ok());
  const FrameCoalescingStats before = FrameCoalescingCounts();
  ASSERT_TRUE(w->Exec("BEGIN IMMEDIATE", "begin").ok());
  Insert(*w, 10, 400, 500);
  ASSERT_TRUE(
      w->Exec("UPDATE t SET v = randomblob(120) WHERE id < 400 AND id % 7 = 0", "update").ok());
  Insert(*w, 400, 600, 500);
  ASSERT_TRUE(w->Exec("UPDATE t SET v = randomblob(90) WHERE id % 5 = 0", "update").ok());
  ASSERT_TRUE(w->Exec("COMMIT", "commit").ok());
  const FrameCoalescingStats after = FrameCoalescingCounts();
  EXPECT_GT(after.lone_headers, before.lone_headers) << "no header was rewritten in place";
  EXPECT_GT(after.combined, before.combined);
  ExpectEveryoneReadsTheSame(*w, 600);
}

}  // namespace
}  // namespace custos::records
