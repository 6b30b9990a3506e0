// VerifySqliteDataDir against a SQLite store tampered with behind the
// store's back: it must name the same first problem, word for word, as the
// single-threaded VerifyStoreAgainstJournal, for every kind of change to a
// row, a leaf, a payload, a key or the journal's sequence.
#include "records/verify_sqlite.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "base/random.h"
#include "crypto/aead.h"
#include "records/journal.h"
#include "records/keystore.h"
#include "records/model/examples.h"
#include "records/model/schema.h"
#include "records/sqlite_db.h"
#include "records/sqlite_store.h"
#include "records/verify_scan.h"

namespace custos::records {
namespace {

const Actor kActor{"tok_1", "registrar"};

class VerifySqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = ::testing::TempDir() + "/verify-sqlite-" + RandomHex(6);
    auto s = OpenSqliteStore(base_ + "/clean");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    RecordsStore& store = **s;
    for (int i = 0; i < 2; ++i) {  // seq 1, 2
      auto e =
          store.Create(kActor, "employer", NumberedExampleRecord(*FindEntity("employer"), i + 1));
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      employers_.push_back(e->id);
    }
    std::sort(employers_.begin(), employers_.end());
    nlohmann::json t = ExampleRecord(*FindEntity("trainee"));
    t["employer_id"] = employers_[0];
    auto tr = store.Create(kActor, "trainee", t);  // seq 3
    ASSERT_TRUE(tr.ok());
    trainee_ = tr->id;
    ASSERT_TRUE(store
                    .Update(kActor, "trainee", trainee_, 1, {{"phone", "01632 960123"}},
                            UpdateMode::kPatch)
                    .ok());                                                             // seq 4
    ASSERT_TRUE(store.LogAccess(kActor, trainee_, "trainee", trainee_, "check").ok());  // seq 5
    t["uln"] = NumberedUln(1);
    auto gone = store.Create(kActor, "trainee", t);  // seq 6, then erased: 7, 8
    ASSERT_TRUE(gone.ok());
    ASSERT_TRUE(store.DestroySubjectKey(kActor, gone->id).ok());
    auto fast = VerifySqliteDataDir(base_ + "/clean", store.LastSeq());
    ASSERT_TRUE(fast.ok()) << fast.status().ToString();
    ASSERT_TRUE(fast->problem.ok()) << fast->problem.ToString();
    EXPECT_EQ(fast->last_seq, 8u);
    Status slow = VerifyStoreAgainstJournal(store);
    ASSERT_TRUE(slow.ok()) << slow.ToString();
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  // Copies the clean store, changes the copy with `tamper`, and verifies it
  // both ways; the two must agree. Returns the fast verifier's problem.
  Status TamperAndVerify(const std::function<void(Connection&, const std::string& dir)>& tamper) {
    std::string dir = base_ + "/t" + RandomHex(4);
    std::filesystem::copy(base_ + "/clean", dir, std::filesystem::copy_options::recursive);
    {
      auto conn = Connection::Open(dir + "/records.db", ConnectionOptions{});
      EXPECT_TRUE(conn.ok());
      if (!conn.ok()) return conn.status();
      tamper(**conn, dir);
    }
    auto s = OpenSqliteStore(dir);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return s.status();
    std::vector<Hash256> hashes;
    SqliteVerifyOptions options;
    options.threads = 3;
    options.on_leaf_hashes = [&](std::span<const Hash256> h) {
      hashes.insert(hashes.end(), h.begin(), h.end());
    };
    auto fast = VerifySqliteDataDir(dir, (*s)->LastSeq(), options);
    EXPECT_TRUE(fast.ok()) << fast.status().ToString();
    if (!fast.ok()) return fast.status();
    Status slow = VerifyStoreAgainstJournal(**s);
    EXPECT_EQ(fast->problem.ToString(), slow.ToString());
    EXPECT_EQ(fast->connections, 3u);
    // A row problem is named by the row-by-row check, after the rows did
    // not match as a set.
    if (fast->problem.message().rfind("record ", 0) == 0) {
      EXPECT_FALSE(fast->rows_as_set);
    }
    // The leaf hashes handed on are the stored ones, in order.
    std::vector<Hash256> stored;
    Status read = (*s)->ReadLeafHashes(1, (*s)->LastSeq(),
                                       [&](uint64_t, const Hash256& h) { stored.push_back(h); });
    if (read.ok()) {
      EXPECT_TRUE(fast->leaf_hashes.ok());
      EXPECT_EQ(hashes, stored);
    } else {
      EXPECT_FALSE(fast->leaf_hashes.ok());
    }
    return fast->problem;
  }
  Status TamperAndVerify(const std::string& sql) {
    return TamperAndVerify([&](Connection& c, const std::string&) {
      Status st = c.Exec(sql, "tamper");
      EXPECT_TRUE(st.ok()) << st.ToString();
    });
  }

  // Rewrites the payload of entry `seq` (of the trainee) with `edit`
  // applied to its decrypted JSON text, sealed again under the right key:
  // what someone holding the master key could do.
  Status ResealAndVerify(uint64_t seq, const std::function<std::string(const Payload&)>& edit) {
    return TamperAndVerify([&](Connection& c, const std::string& dir) {
      auto keystore = Keystore::OpenOrCreate(dir);
      ASSERT_TRUE(keystore.ok());
      auto st = c.Prepare("SELECT wrapped_key FROM subjects WHERE subject_id = ?");
      ASSERT_TRUE(st.ok());
      st->BindText(1, trainee_);
      ASSERT_TRUE(*st->Step("key"));
      auto key = (*keystore)->UnwrapSubjectKey(trainee_, st->ColumnBlob(0));
      ASSERT_TRUE(key.ok());
      auto j = c.Prepare("SELECT leaf_hash, payload FROM journal WHERE seq = ?");
      ASSERT_TRUE(j.ok());
      j->BindInt(1, static_cast<int64_t>(seq));
      ASSERT_TRUE(*j->Step("entry"));
      Hash256 leaf_hash;
      std::copy(j->ColumnBlob(0).begin(), j->ColumnBlob(0).end(), leaf_hash.begin());
      auto payload = OpenPayload(*key, seq, leaf_hash, j->ColumnBlob(1));
      ASSERT_TRUE(payload.ok());
      // Seal `edit`'s text as SealPayload seals (journal.h "Sealed form").
      std::string json = edit(*payload);
      uint8_t be[8];
      for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
      Key256 entry_key = DeriveKey(*key, "custos/records/journal-payload/v1", ByteView(be, 8));
      Nonce96 nonce;
      RandomFill(nonce);
      Bytes sealed;
      sealed.reserve(1 + nonce.size() + json.size() + kAeadTagSize);
      sealed.push_back(1);
      sealed.insert(sealed.end(), nonce.begin(), nonce.end());
      AeadSeal(entry_key, nonce, leaf_hash, AsBytes(json), sealed);
      auto u = c.Prepare("UPDATE journal SET payload = ? WHERE seq = ?");
      ASSERT_TRUE(u.ok());
      u->BindBlob(1, sealed);
      u->BindInt(2, static_cast<int64_t>(seq));
      ASSERT_TRUE(u->Run("reseal").ok());
    });
  }

  std::string base_, trainee_;
  std::vector<std::string> employers_;  // sorted
};

void ExpectNames(const Status& st, const std::string& what) {
  EXPECT_TRUE(st.IsCorruption()) << st.ToString();
  EXPECT_NE(st.message().find(what), std::string::npos) << st.ToString();
}

TEST_F(VerifySqliteTest, RowDataChanged) {
  ExpectNames(TamperAndVerify("UPDATE records SET data = json_set(data, '$.phone', '0') WHERE"
                              " entity = 'trainee'"),
              "record trainee/" + trainee_ + ": data differs");
}

TEST_F(VerifySqliteTest, NamesTheFirstOfSeveralBadRowsInKeyOrder) {
  ExpectNames(TamperAndVerify("UPDATE records SET version = 5"),
              "record employer/" + employers_[0] + ": row version 5");
  ExpectNames(TamperAndVerify("UPDATE records SET data = json_set(data, '$.name', 'x') WHERE"
                              " entity = 'employer' AND id = '" +
                              employers_[1] +
                              "';"
                              "UPDATE records SET version = 7 WHERE entity = 'trainee'"),
              "record employer/" + employers_[1] + ": data differs");
}

TEST_F(VerifySqliteTest, RowsDeleted) {
  ExpectNames(TamperAndVerify("DELETE FROM records WHERE entity = 'employer'"),
              "record employer/" + employers_[0] + ": the journal says it exists at version 1");
}

TEST_F(VerifySqliteTest, RowAddedWithoutJournal) {
  ExpectNames(TamperAndVerify("INSERT INTO records SELECT entity, 'forged', version, subject_id,"
                              " json_set(data, '$.uln', '9000000008'), created_at, updated_at"
                              " FROM records WHERE entity = 'trainee'"),
              "record trainee/forged: has no journal entry");
}

TEST_F(VerifySqliteTest, HugeRowidIsNoProblem) {
  // A row moved to rowid 2^62: the same rows, so no problem, and neither
  // the rows' ranges nor the record table's prefault (sized from the
  // largest rowid, capped by the journal) go astray.
  const Status st =
      TamperAndVerify("UPDATE records SET rowid = 4611686018427387904 WHERE entity = 'trainee'");
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST_F(VerifySqliteTest, RowMovedToAnotherSubject) {
  ExpectNames(TamperAndVerify("UPDATE records SET subject_id = 'institution' WHERE entity ="
                              " 'trainee'"),
              "record trainee/" + trainee_ + ": its subject differs");
}

TEST_F(VerifySqliteTest, LeafByteFlipped) {
  ExpectNames(TamperAndVerify("UPDATE journal SET leaf = CAST(replace(CAST(leaf AS TEXT),"
                              " 'registrar', 'registrat') AS BLOB) WHERE seq = 3"),
              "journal seq 3: stored leaf hash does not match");
}

TEST_F(VerifySqliteTest, LeafHashReplaced) {
  ExpectNames(TamperAndVerify("UPDATE journal SET leaf_hash = zeroblob(32) WHERE seq = 3"),
              "journal seq 3: stored leaf hash does not match");
}

TEST_F(VerifySqliteTest, LeafHashOfTheWrongSize) {
  ExpectNames(TamperAndVerify("UPDATE journal SET leaf_hash = X'00' WHERE seq = 4"),
              "journal seq 4: stored leaf hash is not 32 bytes");
}

TEST_F(VerifySqliteTest, PayloadSwapped) {
  ExpectNames(TamperAndVerify("UPDATE journal SET payload = (SELECT payload FROM journal WHERE"
                              " seq = 3) WHERE seq = 4"),
              "journal seq 4: payload: payload: authentication failed");
}

TEST_F(VerifySqliteTest, EntryRemoved) {
  ExpectNames(TamperAndVerify("DELETE FROM journal WHERE seq = 2"),
              "journal seq 3: expected seq 2");
}

TEST_F(VerifySqliteTest, LastEntriesRemoved) {
  ExpectNames(TamperAndVerify("DELETE FROM journal WHERE seq >= 4"),
              "record trainee/" + trainee_ + ": row version 2 but journal version 1");
}

TEST_F(VerifySqliteTest, ColumnsChanged) {
  ExpectNames(TamperAndVerify("UPDATE journal SET subject_id = 'institution' WHERE seq = 3"),
              "journal seq 3: subject column");
  ExpectNames(TamperAndVerify("UPDATE journal SET record_id = 'other' WHERE seq = 3"),
              "journal seq 3: entity/record id columns");
}

TEST_F(VerifySqliteTest, SubjectKeyCorruptedOrRemoved) {
  ExpectNames(TamperAndVerify("UPDATE subjects SET wrapped_key = X'01' WHERE subject_id = '" +
                              trainee_ + "'"),
              "journal seq 3: payload: wrapped subject key is malformed");
  ExpectNames(TamperAndVerify("UPDATE subjects SET wrapped_key = NULL WHERE subject_id = '" +
                              trainee_ + "'"),
              "record trainee/" + trainee_ + ": its latest journal payload cannot be decrypted");
}

TEST_F(VerifySqliteTest, ResealedPayloads) {
  // A faithful re-encoding that is not canonical JSON is still the same
  // payload.
  EXPECT_TRUE(ResealAndVerify(4, [](const Payload& p) {
                std::string json = EncodePayloadJson(p);
                return "{ " + json.substr(1);
              }).ok());
  // A changed before-image: the commitment (which covers only the
  // after-image) still matches, the link to the previous after-image not.
  ExpectNames(ResealAndVerify(4,
                              [](Payload p) {
                                p.before = "{}";
                                return EncodePayloadJson(p);
                              }),
              "journal seq 4: the before-image differs from the previous after-image");
  ExpectNames(ResealAndVerify(4,
                              [](Payload p) {
                                p.after = "{}";
                                return EncodePayloadJson(p);
                              }),
              "journal seq 4: the commitment does not match the payload");
  ExpectNames(ResealAndVerify(4, [](const Payload&) { return std::string("{}"); }),
              "journal seq 4: payload: payload: unknown version");
}

TEST_F(VerifySqliteTest, SettlesCleanRowsAsASetOnOneConnectionPerLane) {
  SqliteVerifyOptions options;
  options.threads = 3;
  auto r = VerifySqliteDataDir(base_ + "/clean", 0, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->problem.ok()) << r->problem.ToString();
  EXPECT_EQ(r->connections, 3u);
  EXPECT_TRUE(r->rows_as_set);
  options.threads = 1;
  r = VerifySqliteDataDir(base_ + "/clean", 0, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->problem.ok()) << r->problem.ToString();
  EXPECT_EQ(r->connections, 1u);
  EXPECT_TRUE(r->rows_as_set);
}

TEST_F(VerifySqliteTest, SnapshotTakesOneConnectionWhenTheWriteLockIsHeld) {
  const std::string path = base_ + "/clean/records.db";
  auto writer = Connection::Open(path, ConnectionOptions{});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Exec("BEGIN IMMEDIATE", "lock").ok());
  auto one = OpenSnapshot(path, 3, /*lock_timeout_ms=*/20);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->size(), 1u);
  ASSERT_TRUE((*writer)->Exec("ROLLBACK", "unlock").ok());
  auto three = OpenSnapshot(path, 3, /*lock_timeout_ms=*/20);
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(three->size(), 3u);
  // While the connections are open, each in its read transaction, a writer
  // can still commit: the snapshot blocks no one once taken.
  ASSERT_TRUE((*writer)->Exec("BEGIN IMMEDIATE; ROLLBACK", "lock again").ok());
}

TEST_F(VerifySqliteTest, SeesOneConsistentStateWhileTheStoreIsWritten) {
  // The verifier's read transaction must not see a half-applied write, nor
  // pages changed under it by the store's checkpoints, whatever the timing.
  auto s = OpenSqliteStore(base_ + "/clean");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  RecordsStore& store = **s;
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::atomic<bool> writer_failed{false};
  std::thread writer([&] {
    for (uint32_t n = 3; !stop; ++n) {
      auto e = store.Create(kActor, "employer", NumberedExampleRecord(*FindEntity("employer"), n));
      auto u = e.ok() ? store.Update(kActor, "employer", e->id, 1, {{"name", "Renamed Ltd"}},
                                     UpdateMode::kPatch)
                      : Result<Record>(e.status());
      if (!u.ok()) {
        writer_failed = true;  // stops the verify loop below, which then fails
        break;
      }
      written += 2;
    }
  });
  uint64_t last = 0;
  // Enough writes for the store's checkpointer to move WAL frames into the
  // database file meanwhile.
  SqliteVerifyOptions options;
  options.threads = 3;  // several connections, whatever the machine
  for (int i = 0; (i < 20 || written < 400) && !HasFailure() && !writer_failed; ++i) {
    auto r = VerifySqliteDataDir(base_ + "/clean", 0, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->problem.ok()) << r->problem.ToString();
    EXPECT_GE(r->last_seq, last);
    last = r->last_seq;
  }
  stop = true;
  writer.join();
  EXPECT_FALSE(writer_failed.load());
  EXPECT_GE(written.load(), 400);
  auto r = VerifySqliteDataDir(base_ + "/clean", store.LastSeq());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->problem.ok()) << r->problem.ToString();
}

int64_t PageSize(const std::string& db_path) {
  auto conn = Connection::Open(db_path, ConnectionOptions{.read_only = true});
  if (!conn.ok()) return -1;
  auto st = (*conn)->Prepare("PRAGMA page_size");
  if (!st.ok()) return -1;
  auto row = st->Step("page size");
  if (!row.ok() || !*row) return -1;
  return st->ColumnInt(0);
}

TEST_F(VerifySqliteTest, NewStoresUseTheLargerPageAndOlderOnesKeepTheirs) {
  EXPECT_EQ(PageSize(base_ + "/clean/records.db"), kNewStorePageSize);
  // A store created before the page size changed: SQLite's default 4 KiB.
  const std::string old_dir = base_ + "/old";
  ASSERT_TRUE(std::filesystem::create_directories(old_dir));
  {
    auto conn = Connection::Open(old_dir + "/records.db", ConnectionOptions{.create = true});
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    ASSERT_TRUE((*conn)->Exec("CREATE TABLE t (x); DROP TABLE t", "fix the page size").ok());
  }
  ASSERT_EQ(PageSize(old_dir + "/records.db"), 4096);
  auto s = OpenSqliteStore(old_dir);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // It takes writes, keeps its page size, and verifies clean; then a
  // tampered row is named, as in a new store.
  for (uint32_t n = 1; n <= 300; ++n) {
    auto e = (*s)->Create(kActor, "employer", NumberedExampleRecord(*FindEntity("employer"), n));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
  }
  EXPECT_EQ(PageSize(old_dir + "/records.db"), 4096);
  auto r = VerifySqliteDataDir(old_dir, (*s)->LastSeq());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->problem.ok()) << r->problem.ToString();
  EXPECT_EQ(r->last_seq, 300u);
  s->reset();
  {
    auto conn = Connection::Open(old_dir + "/records.db", ConnectionOptions{});
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Exec("UPDATE records SET version = 9 WHERE rowid = 120", "tamper").ok());
  }
  r = VerifySqliteDataDir(old_dir, 300);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNames(r->problem, "version");
}

TEST(VerifySqliteDirTest, NotASqliteDataDirectory) {
  auto r = VerifySqliteDataDir(::testing::TempDir() + "/no-such-dir-" + RandomHex(4), 0);
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

}  // namespace
}  // namespace custos::records
