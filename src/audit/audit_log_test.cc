#include "audit/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "audit/checkpoint_log.h"
#include "audit/signing.h"
#include "base/fs.h"
#include "journal/checkpoint.h"
#include "journal/merkle_verify.h"
#include "records/sqlite_store.h"

namespace custos::audit {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("custos-audit-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    OpenStore();
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  void OpenStore() {
    auto s = records::OpenSqliteStore(dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void OpenLog(std::chrono::milliseconds interval = std::chrono::milliseconds(1000),
               std::function<Status()> before_store = nullptr) {
    AuditLogOptions o;
    o.data_dir = dir_;
    o.origin = "custos.test/audit";
    o.checkpoint_interval = interval;
    o.before_checkpoint_store = std::move(before_store);
    auto l = AuditLog::Open(*store_, o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    log_ = std::move(*l);
  }
  void AddEmployers(int n) {
    for (int i = 0; i < n; i++) {
      auto r = store_->Create({"t", "registrar"}, "employer",
                              {{"name", "Employer " + std::to_string(i)}});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  std::string dir_;
  std::unique_ptr<records::RecordsStore> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, FollowsCommitsAndProvesInclusionAndConsistency) {
  AddEmployers(3);  // before the log opens: loaded from the store
  OpenLog();
  EXPECT_EQ(log_->Size(), 3u);
  AddEmployers(9);  // after: delivered by the commit listener
  ASSERT_EQ(log_->Size(), 12u);

  auto cp = log_->CheckpointNow();
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->size, 12u);
  // The note is a valid C2SP checkpoint under the published verifier key.
  auto opened = OpenCheckpointWithKey(cp->note, log_->VerifierKey());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->size, 12u);
  EXPECT_EQ(opened->root, cp->root);

  auto journal = store_->ReadJournal(1, 12);
  ASSERT_TRUE(journal.ok());
  for (const auto& e : *journal) {
    for (uint64_t size : {e.seq, uint64_t{12}}) {
      auto p = log_->Inclusion(e.seq, size);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      EXPECT_EQ(p->leaf_hash, journal::HashLeaf(e.leaf));
      EXPECT_TRUE(
          journal::VerifyInclusion(p->leaf_hash, p->index, p->tree_size, p->hashes, p->root).ok());
    }
  }
  for (uint64_t a = 1; a <= 12; a++) {
    auto c = log_->Consistency(a, 12);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(journal::VerifyConsistency(a, 12, c->from_root, c->to_root, c->hashes).ok());
  }
  EXPECT_EQ(log_->Inclusion(0, 12).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->Inclusion(13, 12).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->Inclusion(5, 13).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->Consistency(5, 4).status().code(), Code::kInvalidArgument);
}

TEST_F(AuditLogTest, SignsAtLeastEverySecondWhileEntriesArrive) {
  OpenLog(std::chrono::milliseconds(100));
  AddEmployers(2);
  // A tick may fall between the two writes and sign size 1 first; within
  // 5 s (a loaded sanitizer run) one must cover both.
  auto newest_size = [&]() -> uint64_t {
    auto notes = ReadCheckpointLog(dir_);
    if (!notes.ok() || notes->empty()) return 0;
    auto c = OpenCheckpointWithKey(notes->back(), log_->VerifierKey());
    return c.ok() ? c->size : 0;
  };
  for (int i = 0; i < 250 && newest_size() != 2; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto notes = ReadCheckpointLog(dir_);
  ASSERT_TRUE(notes.ok());
  ASSERT_FALSE(notes->empty());
  auto last = OpenCheckpointWithKey(notes->back(), log_->VerifierKey());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->size, 2u);
  // No new entries: no new checkpoint, and never two for one size.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto again = log_->CheckpointNow();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(ReadCheckpointLog(dir_)->size(), notes->size());
}

// A checkpoint that cannot be stored (a full disk) is reported by Problem
// and retried every interval even when no new entry arrives; the next one
// stored covers every entry and clears the problem.
TEST_F(AuditLogTest, ReportsAndRetriesACheckpointItCannotStore) {
  std::atomic<bool> disk_full{false};
  std::atomic<int> attempts{0};
  OpenLog(std::chrono::milliseconds(50), [&]() -> Status {
    ++attempts;
    if (disk_full) return Status::IOError("writing checkpoints.log: No space left on device");
    return Status::OK();
  });
  auto wait_until = [](const std::function<bool()>& done) {
    for (int i = 0; i < 250 && !done(); i++) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  };
  AddEmployers(2);
  ASSERT_TRUE(wait_until([&] { return log_->CheckpointSize() == 2; }));
  EXPECT_TRUE(log_->Problem().ok());

  disk_full = true;
  AddEmployers(1);
  // The signer fails, keeps the error, and keeps trying with no new entry.
  ASSERT_TRUE(wait_until([&] { return !log_->Problem().ok(); }));
  EXPECT_EQ(log_->Problem().code(), Code::kIOError);
  EXPECT_NE(log_->Problem().message().find("No space left"), std::string::npos);
  const int failed_attempts = attempts.load();
  ASSERT_TRUE(wait_until([&] { return attempts.load() >= failed_attempts + 3; }))
      << "the signer stopped retrying";
  EXPECT_EQ(log_->CheckpointSize(), 2u);
  EXPECT_EQ(log_->Size(), 3u);
  EXPECT_FALSE(log_->CheckpointNow().ok());

  disk_full = false;
  ASSERT_TRUE(wait_until([&] { return log_->CheckpointSize() == 3; }));
  EXPECT_TRUE(log_->Problem().ok());
  auto notes = ReadCheckpointLog(dir_);
  ASSERT_TRUE(notes.ok());
  auto last = OpenCheckpointWithKey(notes->back(), log_->VerifierKey());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->size, 3u);
}

TEST_F(AuditLogTest, SurvivesReopenAndKeepsItsKeyAndOrigin) {
  OpenLog();
  AddEmployers(4);
  ASSERT_TRUE(log_->CheckpointNow().ok());
  std::string vkey = log_->VerifierKey();
  log_.reset();
  store_.reset();
  OpenStore();
  OpenLog();
  EXPECT_EQ(log_->Size(), 4u);
  EXPECT_EQ(log_->VerifierKey(), vkey);
  EXPECT_EQ(log_->Origin(), "custos.test/audit");
  auto cp = log_->LatestCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->size, 4u);
  struct stat st;
  ASSERT_EQ(::stat((dir_ + "/keys/checkpoint.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditLogTest, RefusesACheckpointThatDisagreesWithTheJournal) {
  OpenLog();
  AddEmployers(3);
  ASSERT_TRUE(log_->CheckpointNow().ok());
  log_.reset();
  // A correctly signed checkpoint for a root the journal does not have.
  auto signer = LoadSigner(dir_);
  ASSERT_TRUE(signer.ok());
  Hash256 bogus{};
  bogus[0] = 1;
  auto note = signer->Sign(3, bogus);
  ASSERT_TRUE(note.ok());
  {
    std::vector<std::string> notes;
    auto cl = CheckpointLog::Open(dir_ + "/audit/checkpoints.log", &notes);
    ASSERT_TRUE(cl.ok());
    ASSERT_TRUE((*cl)->Append(*note).ok());
  }
  AuditLogOptions o;
  o.data_dir = dir_;
  auto l = AuditLog::Open(*store_, o);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), Code::kCorruption);
  EXPECT_NE(l.status().message().find("does not match the journal"), std::string::npos);
}

TEST(CheckpointLogTest, TornTailIsCutOnOpenButReportedToVerifiers) {
  std::string dir =
      (fs::temp_directory_path() / ("custos-cplog-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  std::string path = dir + "/audit/checkpoints.log";
  {
    std::vector<std::string> notes;
    auto cl = CheckpointLog::Open(path, &notes);
    ASSERT_TRUE(cl.ok());
    ASSERT_TRUE((*cl)->Append("first note\n").ok());
    ASSERT_TRUE((*cl)->Append("second note\n").ok());
  }
  { std::ofstream(path, std::ios::app) << "custos-checkpoint 40\npartial"; }
  auto strict = ReadCheckpointLog(dir);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("damaged record at byte"), std::string::npos);
  std::vector<std::string> notes;
  auto cl = CheckpointLog::Open(path, &notes);
  ASSERT_TRUE(cl.ok());
  EXPECT_EQ(notes, (std::vector<std::string>{"first note\n", "second note\n"}));
  auto after = ReadCheckpointLog(dir);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->size(), 2u);
  // Garbage in the middle is never tolerated.
  EXPECT_FALSE(ParseCheckpointLog("custos-checkpoint 3\nabcXYZ", true).ok());
  EXPECT_FALSE(ParseCheckpointLog("custos-checkpoint 03\nabc", false).ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace custos::audit
