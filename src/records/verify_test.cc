// VerifyStoreAgainstJournal against a SQLite store tampered with behind the
// store's back: every change to a row, a leaf, a payload or the journal's
// sequence is reported, naming the entry or the row.
#include <gtest/gtest.h>

#include <filesystem>

#include "base/fs.h"
#include "base/random.h"
#include "records/model/examples.h"
#include "records/model/schema.h"
#include "records/sqlite_db.h"
#include "records/sqlite_store.h"

namespace custos::records {
namespace {

const Actor kActor{"tok_1", "registrar"};

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = tmp_.path();
    auto s = OpenSqliteStore(base_ + "/clean");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    auto e = (*s)->Create(kActor, "employer", ExampleRecord(*FindEntity("employer")));
    ASSERT_TRUE(e.ok());
    employer_ = e->id;
    nlohmann::json t = ExampleRecord(*FindEntity("trainee"));
    t["employer_id"] = employer_;
    auto tr = (*s)->Create(kActor, "trainee", t);
    ASSERT_TRUE(tr.ok());
    trainee_ = tr->id;
    ASSERT_TRUE((*s)->Update(kActor, "trainee", trainee_, 1, {{"phone", "01632 960123"}},
                             UpdateMode::kPatch)
                    .ok());
    ASSERT_TRUE((*s)->LogAccess(kActor, trainee_, "trainee", trainee_, "check").ok());
    Status v = VerifyStoreAgainstJournal(**s);
    ASSERT_TRUE(v.ok()) << v.ToString();
  }

  // Copies the clean store, runs `sql` on the copy, and verifies it.
  Status TamperAndVerify(const std::string& sql) {
    std::string dir = base_ + "/t" + RandomHex(4);
    std::filesystem::copy(base_ + "/clean", dir, std::filesystem::copy_options::recursive);
    {
      auto conn = Connection::Open(dir + "/records.db", ConnectionOptions{});
      EXPECT_TRUE(conn.ok());
      Status st = (*conn)->Exec(sql, "tamper");
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    auto s = OpenSqliteStore(dir);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return VerifyStoreAgainstJournal(**s);
  }

  ScopedTempDir tmp_{"verify"};
  std::string base_, employer_, trainee_;
};

void ExpectNames(const Status& st, const std::string& what) {
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
}

TEST_F(VerifyTest, RowDataChanged) {
  ExpectNames(TamperAndVerify("UPDATE records SET data = json_set(data, '$.phone', '0') WHERE"
                              " entity = 'trainee'"),
              "record trainee/" + trainee_ + ": data differs");
}

TEST_F(VerifyTest, RowVersionChanged) {
  ExpectNames(TamperAndVerify("UPDATE records SET version = 5 WHERE entity = 'employer'"),
              "record employer/" + employer_ + ": row version 5");
}

TEST_F(VerifyTest, RowDeleted) {
  ExpectNames(TamperAndVerify("DELETE FROM records WHERE entity = 'employer'"),
              "record employer/" + employer_ + ": the journal says it exists");
}

TEST_F(VerifyTest, RowAddedWithoutJournal) {
  ExpectNames(TamperAndVerify("INSERT INTO records SELECT entity, 'forged', version, subject_id,"
                              " json_set(data, '$.company_number', '99999999'), created_at,"
                              " updated_at FROM records WHERE entity = 'employer'"),
              "record employer/forged: has no journal entry");
}

TEST_F(VerifyTest, LeafByteFlipped) {
  ExpectNames(TamperAndVerify("UPDATE journal SET leaf = CAST(replace(CAST(leaf AS TEXT),"
                              " 'registrar', 'registrat') AS BLOB) WHERE seq = 2"),
              "journal seq 2: stored leaf hash does not match");
}

TEST_F(VerifyTest, LeafAndHashReplacedTogether) {
  // Rewriting a leaf and its stored hash consistently still breaks the next
  // entry's link (and the Merkle log, checked elsewhere).
  ExpectNames(TamperAndVerify("UPDATE journal SET leaf_hash = zeroblob(32) WHERE seq = 2"),
              "journal seq 2");
}

TEST_F(VerifyTest, PayloadChanged) {
  ExpectNames(TamperAndVerify("UPDATE journal SET payload = (SELECT payload FROM journal WHERE"
                              " seq = 2) WHERE seq = 3"),
              "journal seq 3: payload");
}

TEST_F(VerifyTest, EntryRemoved) {
  ExpectNames(TamperAndVerify("DELETE FROM journal WHERE seq = 2"),
              "journal seq 3: expected seq 2");
}

TEST_F(VerifyTest, LastEntryRemoved) {
  ExpectNames(TamperAndVerify("DELETE FROM journal WHERE seq = (SELECT MAX(seq) FROM journal);"
                              "DELETE FROM journal WHERE seq = (SELECT MAX(seq) FROM journal)"),
              "record trainee/" + trainee_);
}

TEST_F(VerifyTest, SubjectColumnChanged) {
  ExpectNames(TamperAndVerify("UPDATE journal SET subject_id = 'institution' WHERE seq = 2"),
              "journal seq 2: subject column");
}

}  // namespace
}  // namespace custos::records
