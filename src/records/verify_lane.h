// One lane of VerifySqliteDataDir (verify_sqlite.h): a connection of the
// verifier's snapshot (verify_scan.h) and what a thread needs to read and
// check ranges of the journal and of the rows on it.
//
// Thread-safety: a Lane belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "records/keystore.h"
#include "records/verify_checker.h"
#include "records/verify_crypto.h"
#include "records/verify_ids.h"
#include "records/verify_scan.h"

namespace custos::records {

// The work, cut into items. Journal item k (of JournalItems) is the
// entries of seq FirstSeq(k)..LastSeq(k) and the live rows of the rowids
// ItemRowids(k): the rowid ranges split the table at the fractions at which
// the seq ranges split the journal, and together cover every rowid. A store
// writes a record's row with its journal entry, so the two ranges' pages lie
// together in the file, and the rows are mostly served by the read-ahead
// chunks the entries were read from (verify_vfs.h). Whatever the layout,
// every row is read exactly once.
constexpr uint64_t kEntriesPerItem = 4096;
uint64_t JournalItems(uint64_t last_seq);  // at least 1
uint64_t FirstSeq(uint64_t k);
uint64_t LastSeq(uint64_t k, uint64_t last_seq);

// An inclusive range of rowids.
struct RowidRange {
  int64_t first = 0;
  int64_t last = 0;
};
// `max_rowid`: the rows table's largest rowid (0 when empty).
RowidRange ItemRowids(uint64_t k, uint64_t last_seq, int64_t max_rowid);
// For a row-by-row check: RowItems items of about 16384 rowids each,
// together covering every rowid.
uint64_t RowItems(int64_t max_rowid);  // at least 1
RowidRange RowItemRowids(uint64_t k, uint64_t count, int64_t max_rowid);

// What a lane found in one journal item.
struct JournalItem {
  std::vector<Hash256> hashes;    // stored leaf hashes, in seq order
  std::vector<EntryFacts> facts;  // one per hash (only the seq when not checked)
  // Set when the stored hash of the entry after the last hash is not 32
  // bytes (its seq): the journal ends there as far as the check goes.
  std::optional<uint64_t> bad_hash_seq;
  RowSet rows;  // the item's rows
};

// The first failing row of a rows item, in (entity, id) order.
struct RowFailure {
  std::string entity, id;
  Status problem;  // OK: no row failed
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Subject keys as stored (nullopt: destroyed), read once in the snapshot;
// wiped when destroyed.
struct WrappedKeys {
  WrappedKeys() = default;
  WrappedKeys(const WrappedKeys&) = delete;
  WrappedKeys& operator=(const WrappedKeys&) = delete;
  ~WrappedKeys();
  StringMap<std::optional<Bytes>> keys;
};

class Lane {
 public:
  // `conn`, `keystore`, `wrapped` and `keys` must outlive the lane.
  static Result<std::unique_ptr<Lane>> Create(ScanConnection& conn, const Keystore& keystore,
                                              const WrappedKeys& wrapped, const RecordKeys& keys);
  ~Lane();

  // Reads journal item k into `out`. Unless `hashes_only`, checks each entry
  // on its own (CheckLeafAlone, CheckPayloadAlone) and digests the item's
  // rows; otherwise only collects the stored leaf hashes. Errors only when
  // SQLite fails.
  Status ReadItem(uint64_t k, uint64_t last_seq, int64_t max_rowid, bool hashes_only,
                  JournalItem& out);
  // Checks the rows of `rowids` one by one against `checker` (after its End)
  // and keeps the first failing one in `out`. Errors only when SQLite fails.
  Status CheckRows(RowidRange rowids, const JournalChecker& checker, RowFailure& out);

 private:
  struct Subject;
  Lane(ScanConnection& conn, const Keystore& keystore, const WrappedKeys& wrapped,
       const RecordKeys& keys, StmtLease journal, StmtLease rows);
  Subject& Find(std::string_view subject_id);
  const SubjectHmac* KeyOf(Subject& s, std::string_view subject_id, Status& status);
  // An entry is checked in two steps. BeginEntry checks what needs the
  // row's columns (they are gone at the next step) and copies the leaf and
  // the sealed payload; FinishWaiting opens the payloads of the entries
  // waiting, two at a time with their keys derived together, and checks the
  // rest (FinishEntry). The checks and their order are those of a single
  // pass (verify_checker.h).
  void BeginEntry(sqlite3_stmt* st, uint64_t seq, const Hash256& hash, EntryFacts& f);
  void FinishWaiting();
  struct Waiting;
  void FinishEntry(Waiting& w);
  // Fills `row` but its key from the current row of rows_'s statement;
  // with `later`, its data digest is asked of it (written by its next Run).
  void ReadRowRest(sqlite3_stmt* st, RowFacts& row, PendingDigests* later = nullptr);

  ScanConnection& conn_;
  const Keystore& keystore_;
  const WrappedKeys& wrapped_;
  const RecordKeys& keys_;
  StmtLease journal_;
  StmtLease rows_;
  std::unique_ptr<IdTable<Subject>> subjects_;  // Subject is complete in the .cc only
  PendingDigests later_;  // the entries' and rows' keyed digests, many at once
  static constexpr size_t kRowBatch = PendingDigests::kBatch;
  RowFacts row_batch_[kRowBatch];  // ReadItem's rows waiting for their digests
  PayloadCipher cipher_;
  struct Waiting {
    uint64_t seq = 0;
    Hash256 hash{};
    EntryFacts* f = nullptr;  // in the item's facts, which do not move meanwhile
    bool fields_ok = false;
    const SubjectHmac* key = nullptr;  // nullptr: `opened` says why
    Status opened;
    Bytes leaf, sealed;   // copies of the columns
    Bytes plain;          // the decrypted payload (wiped after the entry)
    std::string storage;  // its images (wiped after the entry)
  };
  Waiting waiting_[2];
  size_t waiting_count_ = 0;
  // CheckRows' rows read but not judged yet (see there).
  struct PendingRow {
    std::string entity, id;
    RowFacts facts;
  };
  static constexpr size_t kRowsInFlight = 8;
  PendingRow pending_[kRowsInFlight];
};

}  // namespace custos::records
