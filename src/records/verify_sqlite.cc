#include "records/verify_sqlite.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "records/keystore.h"
#include "records/verify_checker.h"
#include "records/verify_lane.h"
#include "records/verify_pipeline.h"
#include "records/verify_scan.h"

namespace custos::records {
namespace {

// How far ahead of the entry it adds the consumer prefetches the record
// table (entries take about a tenth of a microsecond each).
constexpr size_t kPrefetchAhead = 8;

// Stage 2 on the calling thread, item after item: the ordered checks of the
// entries, and the leaf hashes handed on.
class Consumer {
 public:
  Consumer(JournalChecker& checker, const SqliteVerifyOptions& options, SqliteVerifyResult& result)
      : checker_(checker), options_(options), result_(result) {}

  void Consume(const JournalItem& item) {
    if (result_.problem.ok()) {
      const std::vector<EntryFacts>& facts = item.facts;
      for (size_t i = 0; i < facts.size(); ++i) {
        if (i + kPrefetchAhead < facts.size() && facts[i + kPrefetchAhead].has_record_id) {
          checker_.Prefetch(facts[i + kPrefetchAhead].key);
        }
        Status st = checker_.Add(facts[i]);
        if (!st.ok()) {
          Stop(st);
          break;
        }
      }
    }
    rows_.Add(item.rows);
    if (!result_.leaf_hashes.ok()) return;  // the stream of hashes ended before
    if (options_.on_leaf_hashes && !item.hashes.empty()) options_.on_leaf_hashes(item.hashes);
    if (item.bad_hash_seq) {
      Status bad = Status::Corruption("journal seq " + std::to_string(*item.bad_hash_seq) +
                                      ": stored leaf hash is not 32 bytes");
      if (result_.problem.ok()) Stop(bad);
      result_.leaf_hashes = bad;
    }
  }

  // True once a problem was found: later entries need no checks, only
  // their hashes.
  bool stopped() const { return stop_.load(std::memory_order_relaxed); }
  // The digest of all rows read (when no problem stopped the reading).
  const RowSet& rows() const { return rows_; }

 private:
  void Stop(const Status& problem) {
    result_.problem = problem;
    stop_.store(true, std::memory_order_relaxed);
  }

  JournalChecker& checker_;
  const SqliteVerifyOptions& options_;
  SqliteVerifyResult& result_;
  std::atomic<bool> stop_{false};
  RowSet rows_;
};

Status ReadWrappedKeys(ScanConnection& conn, WrappedKeys& wrapped) {
  ASSIGN_OR_RETURN(StmtLease st, conn.PrepareOnce("SELECT subject_id, wrapped_key FROM subjects"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step("read subjects"));
    if (!row) return Status::OK();
    std::optional<Bytes> key;
    if (!st.ColumnIsNull(1)) {
      ByteView b = st.ColumnBlob(1);
      key.emplace(b.begin(), b.end());
    }
    wrapped.keys.emplace(std::string(st.ColumnText(0)), std::move(key));
  }
}

Result<int64_t> ReadInt(ScanConnection& conn, const char* sql, std::string_view what) {
  ASSIGN_OR_RETURN(StmtLease st, conn.PrepareOnce(sql));
  ASSIGN_OR_RETURN(bool row, st.Step(what));
  return row ? st.ColumnInt(0) : 0;
}

// Stages 3 and 4 row by row (after End), the rows on the lanes: the first
// failing row in (entity, id) order, else the first missing one, else OK.
// Errors when SQLite fails.
Status FindRowProblem(std::vector<std::unique_ptr<Lane>>& lanes, ScanConnection& conn,
                      const JournalChecker& checker, int64_t max_rowid, Status& problem) {
  const uint64_t count = RowItems(max_rowid);
  RowFailure first;
  RETURN_IF_ERROR(RunOrderedItems<RowFailure>(
      count, 2 * lanes.size() + 1, lanes.size(),
      [&](RowFailure& item, uint64_t k, size_t lane) {
        item = RowFailure();
        return lanes[lane]->CheckRows(RowItemRowids(k, count, max_rowid), checker, item);
      },
      [&](RowFailure& item, uint64_t) {
        if (!item.problem.ok() &&
            (first.problem.ok() || RecordKeyLess(item.entity, item.id, first.entity, first.id))) {
          first = std::move(item);
        }
      }));
  if (!first.problem.ok()) {
    problem = first.problem;
    return Status::OK();
  }
  ASSIGN_OR_RETURN(StmtLease st,
                   conn.PrepareOnce("SELECT entity, record_id FROM journal WHERE seq = ?"));
  problem =
      checker.FirstMissingRow([&](uint64_t seq) -> Result<std::pair<std::string, std::string>> {
        sqlite3_reset(st.get());
        st.BindInt(1, static_cast<int64_t>(seq));
        ASSIGN_OR_RETURN(bool row, st.Step("read journal"));
        if (!row) return Status::Internal("journal entry vanished inside a read transaction");
        return std::make_pair(std::string(st.ColumnText(0)), std::string(st.ColumnText(1)));
      });
  if (!problem.ok() && !problem.IsCorruption()) return problem;
  return Status::OK();
}

}  // namespace

Result<SqliteVerifyResult> VerifySqliteDataDir(const std::string& data_dir, uint64_t min_last_seq,
                                               const SqliteVerifyOptions& options) {
  const std::string db_path = JoinPath(data_dir, "records.db");
  if (!PathExists(db_path)) return Status::NotFound(data_dir + " has no records.db");
  if (!PathExists(JoinPath(JoinPath(data_dir, "keys"), "master.key"))) {
    return Status::NotFound(data_dir + " has no keys/master.key");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Keystore> keystore, Keystore::OpenOrCreate(data_dir));
  size_t threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // The journal, the keys and the rows of one state, on one connection per
  // lane (or one for all).
  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<ScanConnection>> conns,
                   OpenSnapshot(db_path, threads));
  ScanConnection& main = *conns[0];

  SqliteVerifyResult result;
  result.connections = conns.size();
  ASSIGN_OR_RETURN(int64_t max_seq, ReadInt(main, "SELECT MAX(seq) FROM journal", "read journal"));
  result.last_seq = std::max(static_cast<uint64_t>(std::max<int64_t>(max_seq, 0)), min_last_seq);
  ASSIGN_OR_RETURN(int64_t max_rowid,
                   ReadInt(main, "SELECT MAX(rowid) FROM records", "read records"));
  WrappedKeys wrapped;
  RETURN_IF_ERROR(ReadWrappedKeys(main, wrapped));

  // Every record has at least one entry: at most last_seq records (the
  // table grows past the cap if need be).
  const size_t expected = static_cast<size_t>(std::min<uint64_t>(result.last_seq, 1u << 22));
  JournalChecker checker(expected);
  // Every live row is a record the journal names: about that many.
  checker.Prefault(static_cast<size_t>(
      std::min<uint64_t>(static_cast<uint64_t>(std::max<int64_t>(max_rowid, 0)), expected)));
  std::vector<std::unique_ptr<Lane>> lanes;  // after `conns`: destroyed first
  for (auto& conn : conns) {
    ASSIGN_OR_RETURN(std::unique_ptr<Lane> lane,
                     Lane::Create(*conn, *keystore, wrapped, checker.keys()));
    lanes.push_back(std::move(lane));
  }

  // Stage 1 on the lanes and stage 2 on this thread, the rows digested
  // alongside.
  Consumer consumer(checker, options, result);
  const uint64_t items = JournalItems(result.last_seq);
  RETURN_IF_ERROR(RunOrderedItems<JournalItem>(
      items, 2 * lanes.size() + 1, lanes.size(),
      [&](JournalItem& item, uint64_t k, size_t lane) {
        return lanes[lane]->ReadItem(k, result.last_seq, max_rowid, consumer.stopped(), item);
      },
      [&](JournalItem& item, uint64_t) { consumer.Consume(item); }));
  if (result.problem.ok()) result.problem = checker.End(result.last_seq);
  if (!result.problem.ok()) return result;

  // Stages 3 and 4: settled at once when the rows are, as a set, those the
  // journal says should exist; otherwise row by row, which names the first
  // difference.
  const std::optional<RowSet> live = checker.LiveRows();
  if (live && *live == consumer.rows()) {
    result.rows_as_set = true;
    return result;
  }
  RETURN_IF_ERROR(FindRowProblem(lanes, main, checker, max_rowid, result.problem));
  return result;
}

}  // namespace custos::records
