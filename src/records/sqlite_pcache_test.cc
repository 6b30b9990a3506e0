// The page-cache layer: installed by the first connection, it skips the
// per-commit truncation that page splits used to trigger, and still forwards
// every truncation that must drop pages (a rolled-back growth), so that the
// database reads back whole.
#include "records/sqlite_pcache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/random.h"
#include "records/sqlite_db.h"

namespace custos::records {
namespace {

class PageCacheLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/pcache-" + RandomHex(6);
    std::filesystem::create_directories(dir_);
    ConnectionOptions o;
    o.create = true;
    o.synchronous_full = false;
    o.page_size = 8192;
    auto c = Connection::Open(dir_ + "/t.db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conn_ = std::move(*c);
    // An index on random keys: inserts land all over it and split pages,
    // which renumbers pages through the lock-byte page's number.
    ASSERT_TRUE(conn_
                    ->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, body BLOB);"
                           "CREATE INDEX t_k ON t (k)",
                           "create")
                    .ok());
  }
  void TearDown() override {
    conn_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Insert(int rows, int body_bytes) {
    for (int i = 0; i < rows; ++i) {
      auto st = conn_->Prepare("INSERT INTO t (k, body) VALUES (?, ?)");
      ASSERT_TRUE(st.ok());
      std::string key = RandomHex(24);
      st->BindText(1, key);
      Bytes body(static_cast<size_t>(body_bytes));
      RandomFill(body);
      st->BindBlob(2, body);
      ASSERT_TRUE(st->Run("insert").ok());
    }
  }

  int64_t Count() {
    auto st = conn_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(*st->Step("count"));
    return st->ColumnInt(0);
  }

  std::string IntegrityCheck() {
    auto st = conn_->PrepareOnce("PRAGMA integrity_check");
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(*st->Step("integrity check"));
    return std::string(st->ColumnText(0));
  }

  std::string dir_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(PageCacheLayerTest, InstalledByTheFirstConnection) {
  EXPECT_TRUE(InstallPageCacheLayer());
  EXPECT_TRUE(InstallPageCacheLayer()) << "a second call keeps it";
}

TEST_F(PageCacheLayerTest, CommitsAfterSplitsSkipTheTruncation) {
  constexpr int kCommits = 200;
  PageCacheLayerCounts before = PageCacheLayerStats();
  for (int c = 0; c < kCommits; ++c) {
    ASSERT_TRUE(conn_->Exec("BEGIN IMMEDIATE", "begin").ok());
    Insert(20, 300);
    ASSERT_TRUE(conn_->Exec("COMMIT", "commit").ok());
  }
  PageCacheLayerCounts after = PageCacheLayerStats();
  // Every commit ends with a truncation to the database's size; with nothing
  // above it in the cache, none is forwarded.
  EXPECT_GE(after.skipped - before.skipped, static_cast<unsigned long long>(kCommits));
  EXPECT_LT(after.forwarded - before.forwarded, 10u);
  EXPECT_EQ(Count(), kCommits * 20);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

TEST_F(PageCacheLayerTest, RolledBackGrowthIsDroppedFromTheCache) {
  ASSERT_TRUE(conn_->Exec("BEGIN IMMEDIATE", "begin").ok());
  Insert(50, 200);
  ASSERT_TRUE(conn_->Exec("COMMIT", "commit").ok());

  // Grow the database by hundreds of pages, then roll back: the pages past
  // the old end must leave the cache, or the next growth would reuse their
  // stale contents.
  PageCacheLayerCounts before = PageCacheLayerStats();
  ASSERT_TRUE(conn_->Exec("BEGIN IMMEDIATE", "begin").ok());
  Insert(400, 6000);
  ASSERT_TRUE(conn_->Exec("ROLLBACK", "roll back").ok());
  PageCacheLayerCounts after = PageCacheLayerStats();
  EXPECT_GE(after.forwarded - before.forwarded, 1u);

  ASSERT_TRUE(conn_->Exec("BEGIN IMMEDIATE", "begin").ok());
  Insert(300, 3000);
  ASSERT_TRUE(conn_->Exec("COMMIT", "commit").ok());
  EXPECT_EQ(Count(), 350);
  EXPECT_EQ(IntegrityCheck(), "ok");

  // A fresh connection reads the same database from the file.
  conn_.reset();
  ConnectionOptions o;
  auto c = Connection::Open(dir_ + "/t.db", o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  conn_ = std::move(*c);
  EXPECT_EQ(Count(), 350);
  EXPECT_EQ(IntegrityCheck(), "ok");
}

}  // namespace
}  // namespace custos::records
