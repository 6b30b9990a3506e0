// The batched subject index (migration 0007): whatever the batch size and
// wherever the index stands, a trainee's history is exactly that trainee's
// journal entries in seq order, page by page, also after a reopen; the runs
// hold the (subject, seq) pairs of every entry up to the seq the index
// records, and the journal's newest entries are added in batches, not per
// write.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/random.h"
#include "records/model/examples.h"
#include "records/model/schema.h"
#include "records/sqlite_db.h"
#include "records/sqlite_store.h"

namespace custos::records {
namespace {

const Actor kActor{"tok_1", "registrar"};

class SubjectIndexTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ::testing::TempDir() + "/subject-index-" + RandomHex(6); }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Open(uint64_t batch) {
    store_.reset();
    SqliteStoreOptions o;
    o.subject_index_batch = batch;
    auto s = OpenSqliteStore(dir_, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }

  // Trainees and a stream of writes and reads that interleaves them.
  void Write(int trainees, int rounds) {
    for (int t = 0; t < trainees; ++t) {
      nlohmann::json body = NumberedExampleRecord(*FindEntity("trainee"), ++numbered_);
      body.erase("employer_id");
      auto r = store_->Create(kActor, "trainee", body);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      trainees_.push_back(*r);
    }
    for (int i = 0; i < rounds; ++i) {
      Record& t = trainees_[static_cast<size_t>(i) % trainees_.size()];
      if (i % 3 == 2) {
        ASSERT_TRUE(store_->LogAccess(kActor, t.id, "trainee", t.id, "check").ok());
        continue;
      }
      auto u =
          store_->Update(kActor, "trainee", t.id, t.version,
                         {{"phone", "01632 960" + std::to_string(100 + i)}}, UpdateMode::kPatch);
      ASSERT_TRUE(u.ok()) << u.status().ToString();
      t = *u;
    }
  }

  // Every subject's seqs, from the whole journal.
  std::map<std::string, std::vector<uint64_t>> Expected() {
    std::map<std::string, std::vector<uint64_t>> out;
    auto all = store_->ReadJournal(1, store_->LastSeq());
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    for (const JournalEntry& e : *all) out[e.subject_id].push_back(e.seq);
    return out;
  }

  // A subject's seqs through SubjectHistory, `limit` per page.
  std::vector<uint64_t> History(const std::string& subject, size_t limit) {
    std::vector<uint64_t> seqs;
    HistoryQuery q{0, limit};
    while (true) {
      auto page = store_->SubjectHistory(subject, q);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      EXPECT_LE(page->size(), limit == 0 ? SIZE_MAX : limit);
      for (const HistoryEntry& h : *page) {
        EXPECT_EQ(h.entry.subject_id, subject);
        seqs.push_back(h.entry.seq);
      }
      if (limit == 0) break;
      q.after_seq = page->back().entry.seq;
    }
    return seqs;
  }

  void ExpectHistoriesMatchTheJournal() {
    auto expected = Expected();
    ASSERT_GE(expected.size(), trainees_.size());
    for (const Record& t : trainees_) {
      SCOPED_TRACE(t.id);
      EXPECT_EQ(History(t.id, 0), expected[t.id]);
      EXPECT_EQ(History(t.id, 2), expected[t.id]);
      EXPECT_EQ(History(t.id, 7), expected[t.id]);
    }
    EXPECT_TRUE(History("no-such-subject", 3).empty());
  }

  // The index's end and the pairs it holds, read from the file.
  std::pair<int64_t, std::map<std::string, std::vector<uint64_t>>> ReadIndex() {
    ConnectionOptions o;
    o.read_only = true;
    auto c = Connection::Open(dir_ + "/records.db", o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    auto end = (*c)->PrepareOnce("SELECT through_seq FROM journal_subject_indexed");
    EXPECT_TRUE(end.ok() && *end->Step("end"));
    int64_t through = end->ColumnInt(0);
    std::map<std::string, std::vector<uint64_t>> pairs;
    auto st = (*c)->PrepareOnce(
        "SELECT subject_id, last_seq, seqs FROM journal_subject_runs"
        " ORDER BY last_seq");
    EXPECT_TRUE(st.ok());
    while (*st->Step("runs")) {
      auto& seqs = pairs[std::string(st->ColumnText(0))];
      std::stringstream text{std::string(st->ColumnText(2))};
      for (std::string item; std::getline(text, item, ',');) seqs.push_back(std::stoull(item));
      EXPECT_EQ(seqs.back(), static_cast<uint64_t>(st->ColumnInt(1))) << "keyed by its last seq";
    }
    return {through, pairs};
  }

  std::string dir_;
  std::unique_ptr<RecordsStore> store_;
  std::vector<Record> trainees_;
  int numbered_ = 0;
};

TEST_F(SubjectIndexTest, HistoriesAreWholeWhereverTheIndexStands) {
  Open(5);
  Write(4, 40);
  ASSERT_FALSE(HasFailure());
  ExpectHistoriesMatchTheJournal();

  // The index holds exactly the journal's pairs up to its end, which trails
  // the journal by less than a batch, and lost the per-write index.
  auto [through, pairs] = ReadIndex();
  const uint64_t last = store_->LastSeq();
  EXPECT_GT(through, 0);
  EXPECT_LE(static_cast<uint64_t>(through), last);
  EXPECT_LT(last - static_cast<uint64_t>(through), 5u + 1u);
  std::map<std::string, std::vector<uint64_t>> upto;
  for (auto& [subject, seqs] : Expected()) {
    for (uint64_t s : seqs) {
      if (s <= static_cast<uint64_t>(through)) upto[subject].push_back(s);
    }
  }
  EXPECT_EQ(pairs, upto);

  // Reopened with another batch size: the index resumes where it stood.
  Open(1000);
  ExpectHistoriesMatchTheJournal();
  EXPECT_EQ(ReadIndex().first, through);
  Write(1, 10);
  ExpectHistoriesMatchTheJournal();
  EXPECT_EQ(ReadIndex().first, through) << "fewer than a batch since";
  Open(1);
  Write(0, 1);
  ExpectHistoriesMatchTheJournal();
  EXPECT_EQ(static_cast<uint64_t>(ReadIndex().first), store_->LastSeq());
}

TEST_F(SubjectIndexTest, ErasedSubjectsKeepTheirEntriesInTheIndex) {
  Open(3);
  Write(3, 12);
  ASSERT_FALSE(HasFailure());
  const std::string erased = trainees_[1].id;
  ASSERT_TRUE(store_->DestroySubjectKey(kActor, erased).ok());
  trainees_.erase(trainees_.begin() + 1);
  Write(0, 4);
  ExpectHistoriesMatchTheJournal();
  EXPECT_EQ(History(erased, 2), Expected()[erased]);
  auto page = store_->SubjectHistory(erased, {});
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->empty());
  EXPECT_FALSE(page->front().payload.has_value()) << "erased: the payload is shredded";
}

// A batch that fails (here a trigger, added behind the store's back, refuses
// the runs) is rolled back alone: the writes of its group commit, the index
// stays where it was, histories stay whole from the journal's tail, and the
// next commit after the fault is gone brings the index up to date.
TEST_F(SubjectIndexTest, AFailedBatchLosesNoWriteAndIsRetried) {
  Open(4);
  Write(2, 6);
  ASSERT_FALSE(HasFailure());
  const int64_t before = ReadIndex().first;
  auto side = [&](const char* sql) {
    ConnectionOptions o;
    auto c = Connection::Open(dir_ + "/records.db", o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE((*c)->Exec(sql, "side change").ok()) << sql;
  };
  std::vector<std::string> logged;
  struct RestoreSink {
    ~RestoreSink() { DefaultLogger().SetSink(nullptr); }
  } restore_sink;
  DefaultLogger().SetSink([&](std::string_view line) {
    if (line.find("subject index") != std::string_view::npos) logged.emplace_back(line);
  });
  side(
      "CREATE TRIGGER refuse_runs BEFORE INSERT ON journal_subject_runs"
      " BEGIN SELECT RAISE(ABORT, 'injected fault'); END");
  const uint64_t seq0 = store_->LastSeq();
  Write(0, 12);  // three batches' worth: each write is acknowledged
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(store_->LastSeq(), seq0 + 12);
  EXPECT_EQ(ReadIndex().first, before) << "no batch went in";
  ExpectHistoriesMatchTheJournal();
  ASSERT_EQ(logged.size(), 1u) << "one warning for the run of failures";
  EXPECT_NE(logged[0].find("injected fault"), std::string::npos) << logged[0];

  // A batch's worth of writes after the fault is gone, the index catches up.
  side("DROP TRIGGER refuse_runs");
  Write(0, 4);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(static_cast<uint64_t>(ReadIndex().first), store_->LastSeq());
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_NE(logged[1].find("up to date again"), std::string::npos) << logged[1];
  ExpectHistoriesMatchTheJournal();
  Open(4);
  ExpectHistoriesMatchTheJournal();
}

}  // namespace
}  // namespace custos::records
