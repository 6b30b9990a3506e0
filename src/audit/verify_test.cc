// Tamper tests for VerifyDataDir: change one record row, one journal leaf,
// one payload or one checkpoint on disk, and the report must name it.
#include "audit/verify.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "audit/audit_log.h"
#include "records/sqlite_store.h"

namespace custos::audit {
namespace {

namespace fs = std::filesystem;

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("custos-verify-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    auto store = records::OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    AuditLogOptions o;
    o.data_dir = dir_;
    o.origin = "custos.test/verify";
    auto log = AuditLog::Open(**store, o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    records::Actor a{"tok1", "registrar"};
    // Entries 1..6, with a checkpoint after 3 and after 6.
    for (int i = 0; i < 3; i++) {
      auto r = (*store)->Create(a, "employer", {{"name", "Employer " + std::to_string(i)}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      employer_ = r->id;
    }
    WaitForSize(**log, 3);
    ASSERT_TRUE((*log)->CheckpointNow().ok());
    auto t = (*store)->Create(a, "trainee",
                              {{"given_name", "Ada"},
                               {"family_name", "Lovelace"},
                               {"date_of_birth", "2001-12-10"},
                               {"uln", "9276308686"},
                               {"email", "ada@example.org"},
                               {"status", "active"}});
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    trainee_ = t->id;
    auto u = (*store)->Update(a, "trainee", trainee_, 1, {{"family_name", "King"}},
                              records::UpdateMode::kPatch);
    ASSERT_TRUE(u.ok()) << u.status().ToString();
    ASSERT_TRUE((*store)->Delete(a, "employer", employer_, 1).ok());
    WaitForSize(**log, 6);
    ASSERT_TRUE((*log)->CheckpointNow().ok());
    vkey_ = (*log)->VerifierKey();
    log->reset();
    store->reset();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void WaitForSize(AuditLog& log, uint64_t n) {
    for (int i = 0; i < 500 && log.Size() < n; i++) usleep(2000);
    ASSERT_EQ(log.Size(), n);
  }

  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/records.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg;
  }

  // SQL that replaces byte `pos` (1-based) of blob `column` with a byte that
  // is guaranteed to differ from it: a fixed replacement byte would leave the
  // blob unchanged whenever it already held that byte (1 in 256 for
  // ciphertext).
  static std::string FlipByte(const std::string& column, int pos) {
    std::string p = std::to_string(pos);
    return "CAST(substr(" + column + ", 1, " + std::to_string(pos - 1) + ") || CASE WHEN substr(" +
           column + ", " + p + ", 1) = X'00' THEN X'01' ELSE X'00' END || substr(" + column + ", " +
           std::to_string(pos + 1) + ") AS BLOB)";
  }

  VerifyReport Verify(const std::string& vkey = "") {
    auto store = records::OpenSqliteStore(dir_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    auto r = VerifyDataDir(**store, dir_, vkey);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : VerifyReport{};
  }

  static std::string Problems(const VerifyReport& r) {
    std::string s;
    for (const auto& p : r.problems) s += p.kind + ": " + p.message + "\n";
    return s;
  }

  std::string dir_, employer_, trainee_, vkey_;
};

TEST_F(VerifyTest, UntouchedDirectoryVerifies) {
  VerifyReport r = Verify(vkey_);
  EXPECT_TRUE(r.ok()) << Problems(r);
  EXPECT_EQ(r.entries, 6u);
  EXPECT_EQ(r.checkpoints, 2u);
}

TEST_F(VerifyTest, NamesAChangedRecordRow) {
  Sql("UPDATE records SET data = replace(data, 'King', 'Kinq') WHERE id = '" + trainee_ + "'");
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u) << Problems(r);
  EXPECT_EQ(r.problems[0].kind, "row");
  EXPECT_NE(r.problems[0].message.find("trainee/" + trainee_), std::string::npos) << Problems(r);
  EXPECT_EQ(r.problems[0].message.find("Kinq"), std::string::npos) << "no personal data";
}

TEST_F(VerifyTest, NamesADeletedOrResurrectedRow) {
  Sql("DELETE FROM records WHERE id = '" + trainee_ + "'");
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Problems(r).find(trainee_), std::string::npos) << Problems(r);
}

TEST_F(VerifyTest, NamesAChangedLeaf) {
  Sql("UPDATE journal SET leaf = " + FlipByte("leaf", 21) + " WHERE seq = 2");
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].kind, "entry");
  EXPECT_NE(r.problems[0].message.find("seq 2"), std::string::npos) << Problems(r);
}

TEST_F(VerifyTest, NamesALeafRewrittenTogetherWithItsHash) {
  // A careful forger also rewrites leaf_hash: the payload (bound to the leaf
  // hash) and the signed checkpoints still catch it.
  Sql("UPDATE journal SET leaf = " + FlipByte("leaf", 21) + ", leaf_hash = X'" +
      std::string(64, '0') + "' WHERE seq = 5");
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Problems(r).find("seq 5"), std::string::npos) << Problems(r);
}

TEST_F(VerifyTest, NamesAChangedPayload) {
  Sql("UPDATE journal SET payload = " + FlipByte("payload", 31) + " WHERE seq = 4");
  VerifyReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].kind, "entry");
  EXPECT_NE(r.problems[0].message.find("seq 4"), std::string::npos) << Problems(r);
}

TEST_F(VerifyTest, NamesAChangedCheckpoint) {
  std::string path = dir_ + "/audit/checkpoints.log";
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  std::string text = ss.str();
  // The second checkpoint's size line "6" becomes "5": same length, so the
  // log's framing stays intact and only the signature can tell.
  size_t second = text.find("custos-checkpoint", 1);
  size_t size_line = text.find("\n6\n", second);
  ASSERT_NE(size_line, std::string::npos);
  text[size_line + 1] = '5';
  std::ofstream(path, std::ios::trunc) << text;
  VerifyReport r = Verify(vkey_);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 1u) << Problems(r);
  EXPECT_EQ(r.problems[0].kind, "checkpoint");
  EXPECT_NE(r.problems[0].message.find("checkpoint #2"), std::string::npos) << Problems(r);
}

TEST_F(VerifyTest, NamesATruncatedJournal) {
  Sql("DELETE FROM journal WHERE seq = 6");
  VerifyReport r = Verify(vkey_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(Problems(r).find("checkpoint #2"), std::string::npos) << Problems(r);
}

TEST_F(VerifyTest, RejectsCheckpointsUnderAnotherKey) {
  VerifyReport r = Verify("other.example+01020304+AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].kind, "checkpoint");
}

}  // namespace
}  // namespace custos::audit
