#include <gtest/gtest.h>

#include <filesystem>

#include "base/random.h"
#include "records/sqlite_db.h"
#include "records/sqlite_migrations.h"

namespace custos::records {
namespace {

std::unique_ptr<Connection> OpenFresh() {
  std::string dir = ::testing::TempDir() + "/migrations-" + RandomHex(6);
  std::filesystem::create_directories(dir);
  ConnectionOptions o;
  o.create = true;
  auto c = Connection::Open(dir + "/t.db", o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

int64_t Count(Connection& c, const char* sql) {
  auto st = c.PrepareOnce(sql);
  EXPECT_TRUE(st.ok());
  auto row = st->Step("count");
  EXPECT_TRUE(row.ok() && *row);
  return st->ColumnInt(0);
}

TEST(MigrationsTest, EmbeddedMigrationsApplyOnceInOrder) {
  auto conn = OpenFresh();
  ASSERT_FALSE(EmbeddedMigrations().empty());
  EXPECT_STREQ(EmbeddedMigrations()[0].name, "0001_initial");
  auto n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, static_cast<int>(EmbeddedMigrations().size()));
  n = ApplyMigrations(*conn, EmbeddedMigrations());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(EmbeddedMigrations().size()));
  EXPECT_EQ(Count(*conn,
                  "SELECT COUNT(*) FROM sqlite_master WHERE name IN"
                  " ('records','journal','subjects')"),
            3);
}

TEST(MigrationsTest, ChangedAppliedMigrationIsAnError) {
  auto conn = OpenFresh();
  Migration v1[] = {{1, "0001_a", "CREATE TABLE a(x);"}};
  ASSERT_TRUE(ApplyMigrations(*conn, v1).ok());
  Migration edited[] = {{1, "0001_a", "CREATE TABLE a(x, y);"}};
  auto st = ApplyMigrations(*conn, edited);
  EXPECT_TRUE(st.status().IsCorruption()) << st.status().ToString();
  EXPECT_NE(st.status().message().find("0001_a"), std::string::npos);
}

TEST(MigrationsTest, NewerDatabaseIsUnsupported) {
  auto conn = OpenFresh();
  Migration two[] = {{1, "0001_a", "CREATE TABLE a(x);"}, {2, "0002_b", "CREATE TABLE b(x);"}};
  ASSERT_TRUE(ApplyMigrations(*conn, two).ok());
  EXPECT_EQ(ApplyMigrations(*conn, std::span(two, 1)).status().code(), Code::kUnsupported);
}

TEST(MigrationsTest, FailedMigrationRollsBackAndKeepsEarlierOnes) {
  auto conn = OpenFresh();
  Migration ms[] = {{1, "0001_a", "CREATE TABLE a(x);"},
                    {2, "0002_bad", "CREATE TABLE b(x); THIS IS NOT SQL;"}};
  EXPECT_FALSE(ApplyMigrations(*conn, ms).ok());
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM schema_migrations"), 1);
  EXPECT_EQ(Count(*conn, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'"), 0);
  Migration fixed[] = {{1, "0001_a", "CREATE TABLE a(x);"}, {2, "0002_b", "CREATE TABLE b(x);"}};
  auto n = ApplyMigrations(*conn, fixed);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
}

}  // namespace
}  // namespace custos::records
