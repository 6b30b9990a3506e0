// RowSet and JournalChecker::LiveRows: the digest of a set of rows ignores
// their order and changes with any fact of any row; the journal's live
// records digest as the rows that should exist. And the item plan of
// verify_lane.h: its rowid ranges cover every rowid exactly once.
#include "records/verify_checker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "records/verify_lane.h"

namespace custos::records {
namespace {

RowFacts Row(const RecordKeys& keys, const std::string& id, uint64_t version, uint8_t subject,
             const std::string& data) {
  RowFacts r;
  r.key = keys.Of("trainee", id);
  r.data = keys.Image(data);
  r.subject.fill(subject);
  r.version = version;
  return r;
}

TEST(RowSetTest, IgnoresOrderAndSeesEveryFact) {
  RecordKeys keys;
  std::vector<RowFacts> rows;
  for (int i = 0; i < 50; ++i) {
    rows.push_back(Row(keys, "r" + std::to_string(i), 1 + i % 3, 7, "{}"));
  }
  RowSet in_order;
  for (const RowFacts& r : rows) in_order.Add(keys, r);
  std::mt19937 rng(1);
  std::shuffle(rows.begin(), rows.end(), rng);
  RowSet shuffled, first_half, second_half;
  for (size_t i = 0; i < rows.size(); ++i) {
    shuffled.Add(keys, rows[i]);
    (i < rows.size() / 2 ? first_half : second_half).Add(keys, rows[i]);
  }
  EXPECT_EQ(shuffled, in_order);
  first_half.Add(second_half);
  EXPECT_EQ(first_half, in_order);

  // Any one fact of any one row changed, a row missing or twice: different.
  for (int change = 0; change < 6; ++change) {
    std::vector<RowFacts> other = rows;
    RowFacts& r = other[17];
    switch (change) {
      case 0:
        r.key = keys.Of("trainee", "elsewhere");
        break;
      case 1:
        r.data = keys.Image("{\"x\":1}");
        break;
      case 2:
        r.subject[3] ^= 1;
        break;
      case 3:
        r.version += 1;
        break;
      case 4:
        other.pop_back();
        break;
      case 5:
        other.push_back(other[0]);
        break;
    }
    RowSet s;
    for (const RowFacts& o : other) s.Add(keys, o);
    EXPECT_NE(s, in_order) << change;
  }
  // Another verifier's keys digest differently.
  RecordKeys other_keys;
  RowSet elsewhere;
  for (const RowFacts& r : rows) elsewhere.Add(other_keys, r);
  EXPECT_NE(elsewhere, in_order);
}

// A create (or an update, with `before`) of record `id`, as stage 1 finds it.
EntryFacts Change(const RecordKeys& keys, uint64_t seq, const std::string& id, uint64_t version,
                  const std::string& after, bool opened = true) {
  EntryFacts f;
  f.seq = seq;
  f.leaf_hash.fill(static_cast<uint8_t>(seq));
  f.event = version == 1 ? EventType::kCreate : EventType::kUpdate;
  f.has_record_id = true;
  f.record_event = true;
  f.record_version = version;
  f.subject.fill(7);
  f.key = keys.Of("trainee", id);
  f.opened = opened;
  f.has_after = true;
  f.after_digest = keys.Image(after);
  return f;
}

TEST(RowSetTest, LiveRowsAreTheRowsTheJournalSaysExist) {
  JournalChecker checker;
  const RecordKeys& keys = checker.keys();
  ASSERT_TRUE(checker.Add(Change(keys, 1, "a", 1, "{\"v\":1}")).ok());
  ASSERT_TRUE(checker.Add(Change(keys, 2, "b", 1, "{\"v\":2}")).ok());
  EntryFacts update = Change(keys, 3, "a", 2, "{\"v\":3}");
  update.prev_seq = 1;
  update.prev_leaf_hash.fill(1);
  update.has_before = true;
  update.before_digest = keys.Image("{\"v\":1}");
  ASSERT_TRUE(checker.Add(update).ok());
  ASSERT_TRUE(checker.End(3).ok());

  auto live = checker.LiveRows();
  ASSERT_TRUE(live.has_value());
  RowSet rows;
  rows.Add(keys, Row(keys, "b", 1, 7, "{\"v\":2}"));
  rows.Add(keys, Row(keys, "a", 2, 7, "{\"v\":3}"));
  EXPECT_EQ(*live, rows);
  RowSet stale;  // record a at its first version
  stale.Add(keys, Row(keys, "b", 1, 7, "{\"v\":2}"));
  stale.Add(keys, Row(keys, "a", 1, 7, "{\"v\":1}"));
  EXPECT_NE(*live, stale);
}

TEST(RowSetTest, NoLiveRowsWhenALatestPayloadCouldNotBeOpened) {
  JournalChecker checker;
  const RecordKeys& keys = checker.keys();
  ASSERT_TRUE(checker.Add(Change(keys, 1, "a", 1, "{}")).ok());
  ASSERT_TRUE(checker.Add(Change(keys, 2, "b", 1, "{}", /*opened=*/false)).ok());
  ASSERT_TRUE(checker.End(2).ok());
  EXPECT_FALSE(checker.LiveRows().has_value());
}

// The rowid ranges of `count` items in order: the first starts at the
// smallest rowid, each starts right after the one before ends (or they are
// empty), the last ends at the largest.
void ExpectPartition(const std::vector<RowidRange>& ranges) {
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.front().first, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(ranges.back().last, std::numeric_limits<int64_t>::max());
  int64_t next = ranges.front().first;
  for (const RowidRange& r : ranges) {
    if (r.last < r.first) {  // empty
      EXPECT_EQ(r.first, next);
      continue;
    }
    EXPECT_EQ(r.first, next);
    if (r.last == std::numeric_limits<int64_t>::max()) break;
    next = r.last + 1;
  }
}

TEST(ItemPlanTest, RowidRangesCoverEveryRowidOnce) {
  for (uint64_t last_seq : {uint64_t{0}, uint64_t{1}, kEntriesPerItem - 1, kEntriesPerItem,
                            kEntriesPerItem + 1, 10 * kEntriesPerItem + 5, uint64_t{1000000}}) {
    for (int64_t max_rowid : {int64_t{-5}, int64_t{0}, int64_t{1}, int64_t{7}, int64_t{999999},
                              std::numeric_limits<int64_t>::max()}) {
      const uint64_t items = JournalItems(last_seq);
      std::vector<RowidRange> ranges;
      uint64_t seqs = 0;
      for (uint64_t k = 0; k < items; ++k) {
        ranges.push_back(ItemRowids(k, last_seq, max_rowid));
        if (LastSeq(k, last_seq) >= FirstSeq(k)) seqs += LastSeq(k, last_seq) - FirstSeq(k) + 1;
        if (k > 0) {
          EXPECT_EQ(FirstSeq(k), LastSeq(k - 1, last_seq) + 1);
        }
      }
      EXPECT_EQ(seqs, last_seq);
      ExpectPartition(ranges);
      const uint64_t count = RowItems(max_rowid);
      std::vector<RowidRange> row_ranges;
      for (uint64_t k = 0; k < count; ++k) row_ranges.push_back(RowItemRowids(k, count, max_rowid));
      ExpectPartition(row_ranges);
    }
  }
}

}  // namespace
}  // namespace custos::records
