#include "records/verify_lane.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "records/verify_payload.h"
#include "records/verify_sha.h"

namespace custos::records {
namespace {

constexpr int64_t kMinRowid = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxRowid = std::numeric_limits<int64_t>::max();

// Column `col` of the current row as bytes (blob or text; empty for NULL),
// as sqlite3_column_blob and sqlite3_column_bytes give them. Valid until the
// next step of `st`. Read through the column's sqlite3_value, which skips
// the connection-mutex bookkeeping of the two column calls (measured: about
// a fifth less CPU for a scan of the journal). SQLite calls that value
// unprotected, which only matters for a connection shared between threads;
// a lane's is not.
std::string_view Column(sqlite3_stmt* st, int col) {
  sqlite3_value* v = sqlite3_column_value(st, col);
  const void* p = sqlite3_value_blob(v);
  if (p == nullptr) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_value_bytes(v))};
}

// Steps `st` to its next row: true on a row; false when the rows are done
// or SQLite failed (then `status` names `what`).
bool NextRow(sqlite3_stmt* st, sqlite3* db, const char* what, Status& status) {
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) status = SqliteStatus(rc, db, what);
  return false;
}

}  // namespace

uint64_t JournalItems(uint64_t last_seq) {
  return std::max<uint64_t>(1, (last_seq + kEntriesPerItem - 1) / kEntriesPerItem);
}
uint64_t FirstSeq(uint64_t k) { return 1 + k * kEntriesPerItem; }
uint64_t LastSeq(uint64_t k, uint64_t last_seq) {
  return std::min(last_seq, (k + 1) * kEntriesPerItem);
}

namespace {

// The first rowid of the part of the table that starts at fraction
// at / total (at < total): non-decreasing in `at`, at most max_rowid + 1
// (rounding is monotonic).
int64_t RowidAt(uint64_t at, uint64_t total, int64_t max_rowid) {
  if (at == 0) return kMinRowid;
  if (max_rowid <= 0) return kMaxRowid;
  return 1 + static_cast<int64_t>(static_cast<long double>(max_rowid) * at / total);
}

}  // namespace

RowidRange ItemRowids(uint64_t k, uint64_t last_seq, int64_t max_rowid) {
  // k * kEntriesPerItem < last_seq for every item but the first, and
  // RowidAt(at > 0, ...) >= 1: no underflow below.
  RowidRange r;
  r.first = RowidAt(k * kEntriesPerItem, last_seq, max_rowid);
  r.last = k + 1 == JournalItems(last_seq)
               ? kMaxRowid
               : RowidAt((k + 1) * kEntriesPerItem, last_seq, max_rowid) - 1;
  return r;
}

uint64_t RowItems(int64_t max_rowid) {
  return std::clamp<uint64_t>(static_cast<uint64_t>(std::max<int64_t>(max_rowid, 0)) / 16384, 1,
                              4096);
}

RowidRange RowItemRowids(uint64_t k, uint64_t count, int64_t max_rowid) {
  return {RowidAt(k, count, max_rowid),
          k + 1 == count ? kMaxRowid : RowidAt(k + 1, count, max_rowid) - 1};
}

WrappedKeys::~WrappedKeys() {
  for (auto& [id, key] : keys) {
    if (key) SecureWipe(key->data(), key->size());
  }
}

// A subject as this lane knows it: its pseudonym and payload key, each
// computed once.
struct Lane::Subject {
  Pseudonym pseudonym{};
  bool key_tried = false;
  Status key_status;                 // OK, NotFound (destroyed or unknown), or the unwrap error
  std::unique_ptr<SubjectHmac> key;  // keyed with the subject key
};

Result<std::unique_ptr<Lane>> Lane::Create(ScanConnection& conn, const Keystore& keystore,
                                           const WrappedKeys& wrapped, const RecordKeys& keys) {
  ASSIGN_OR_RETURN(StmtLease journal,
                   conn.PrepareOnce("SELECT seq, leaf_hash, leaf, payload, subject_id, entity,"
                                    " record_id FROM journal WHERE seq BETWEEN ? AND ?"
                                    " ORDER BY seq"));
  ASSIGN_OR_RETURN(StmtLease rows,
                   conn.PrepareOnce("SELECT entity, id, version, subject_id, data FROM records"
                                    " WHERE rowid BETWEEN ? AND ? ORDER BY rowid"));
  return std::unique_ptr<Lane>(
      new Lane(conn, keystore, wrapped, keys, std::move(journal), std::move(rows)));
}

Lane::Lane(ScanConnection& conn, const Keystore& keystore, const WrappedKeys& wrapped,
           const RecordKeys& keys, StmtLease journal, StmtLease rows)
    : conn_(conn),
      keystore_(keystore),
      wrapped_(wrapped),
      keys_(keys),
      journal_(std::move(journal)),
      rows_(std::move(rows)),
      subjects_(std::make_unique<IdTable<Subject>>()),
      later_(keys) {}

Lane::~Lane() = default;

Lane::Subject& Lane::Find(std::string_view subject_id) {
  auto [subject, added] = subjects_->FindOrAdd(subject_id);
  if (added) subject->pseudonym = keystore_.SubjectPseudonym(subject_id);
  return *subject;
}

// The subject's key, or nullptr with `status` NotFound (key destroyed) or
// the error unwrapping it.
const SubjectHmac* Lane::KeyOf(Subject& s, std::string_view subject_id, Status& status) {
  if (!s.key_tried) {
    s.key_tried = true;
    auto w = wrapped_.keys.find(subject_id);
    if (w == wrapped_.keys.end() || !w->second) {
      s.key_status = Status::NotFound("the subject's key was destroyed");
    } else {
      auto key = keystore_.UnwrapSubjectKey(subject_id, *w->second);
      if (key.ok()) {
        s.key = std::make_unique<SubjectHmac>(*key);
        SecureWipe(key->data(), key->size());
      } else {
        s.key_status = key.status();
      }
    }
  }
  status = s.key_status;
  return s.key.get();
}

void Lane::BeginEntry(sqlite3_stmt* st, uint64_t seq, const Hash256& hash, EntryFacts& f) {
  const std::string_view subject_id = Column(st, 4);
  Subject& subject = Find(subject_id);
  Waiting& w = waiting_[waiting_count_++];
  const ByteView leaf = AsBytes(Column(st, 2));
  const EntryColumns in{seq, leaf, hash, Column(st, 5), Column(st, 6)};
  w.seq = seq;
  w.hash = hash;
  w.f = &f;
  w.key = nullptr;
  w.opened = Status();
  // CheckLeafAlone with the leaf's hash computed last, together with the
  // payload's commitment (verify_sha.h): the payload of an entry whose hash
  // turns out wrong is opened for nothing, and the hash problem is still the
  // one named.
  w.fields_ok = CheckLeafFields(in, subject.pseudonym, keys_, f, &later_);
  w.leaf.assign(leaf.begin(), leaf.end());
  if (w.fields_ok) {
    w.key = KeyOf(subject, subject_id, w.opened);
    if (w.key != nullptr) {
      const ByteView sealed = AsBytes(Column(st, 3));
      w.sealed.assign(sealed.begin(), sealed.end());
    }
  }
  if (waiting_count_ == 2) FinishWaiting();
}

void Lane::FinishWaiting() {
  if (waiting_count_ == 2 && waiting_[0].key != nullptr && waiting_[1].key != nullptr) {
    Waiting& a = waiting_[0];
    Waiting& b = waiting_[1];
    cipher_.OpenTwo({a.key, a.seq, &a.hash, a.sealed, &a.plain},
                    {b.key, b.seq, &b.hash, b.sealed, &b.plain}, a.opened, b.opened);
  } else {
    for (size_t i = 0; i < waiting_count_; ++i) {
      Waiting& w = waiting_[i];
      if (w.key != nullptr) w.opened = cipher_.Open(*w.key, w.seq, w.hash, w.sealed, w.plain);
    }
  }
  for (size_t i = 0; i < waiting_count_; ++i) FinishEntry(waiting_[i]);
  waiting_count_ = 0;
}

void Lane::FinishEntry(Waiting& w) {
  EntryFacts& f = *w.f;
  Status opened = w.opened;  // the payload's opening, or why its key is missing
  PayloadImages images;
  if (w.fields_ok && w.key != nullptr && opened.ok()) {
    opened = ParsePayloadImages(AsString(w.plain), w.storage, images);
  }
  const bool paired = w.fields_ok && opened.ok();
  Hash256 leaf_hash, commitment;
  if (paired) {
    const uint8_t leaf_prefix = 0x00;  // as VerifyLeafHash
    VerifySha256Pair(ByteView(&leaf_prefix, 1), w.leaf, images.salt,
                     AsBytes(images.has_after ? images.after : std::string_view()), leaf_hash,
                     commitment);
  } else {
    leaf_hash = VerifyLeafHash(w.leaf);
  }
  if (leaf_hash != w.hash) {
    f = EntryFacts();
    f.seq = w.seq;
    f.leaf_hash = w.hash;
    f.problem = kStoredLeafHashProblem;
  } else if (w.fields_ok) {
    CheckPayloadAlone(opened, images, keys_, f, paired ? &commitment : nullptr, &later_);
  }
  SecureWipe(w.plain.data(), w.plain.size());
  SecureWipe(w.storage.data(), w.storage.size());
}

Status Lane::ReadItem(uint64_t k, uint64_t last_seq, int64_t max_rowid, bool hashes_only,
                      JournalItem& out) {
  out.hashes.clear();
  out.facts.clear();
  out.bad_hash_seq.reset();
  out.rows = RowSet();
  // Slots are reused: after the first item the vectors keep their capacity.
  out.hashes.reserve(kEntriesPerItem);
  out.facts.reserve(kEntriesPerItem);
  conn_.SetReadAhead(true);
  sqlite3_stmt* st = journal_.get();
  sqlite3_reset(st);
  journal_.BindInt(1, static_cast<int64_t>(std::min<uint64_t>(FirstSeq(k), kMaxRowid)));
  journal_.BindInt(2, static_cast<int64_t>(std::min<uint64_t>(LastSeq(k, last_seq), kMaxRowid)));
  Status status;
  while (NextRow(st, conn_.handle(), "read journal", status)) {
    const uint64_t seq = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
    const std::string_view stored = Column(st, 1);
    if (stored.size() != 32) {
      out.bad_hash_seq = seq;
      break;
    }
    Hash256& hash = out.hashes.emplace_back();
    std::memcpy(hash.data(), stored.data(), hash.size());
    // The entries waiting and the digests asked for are written into
    // out.facts: it must not move.
    if (out.facts.size() == out.facts.capacity()) {
      FinishWaiting();
      later_.Run();
    }
    EntryFacts& f = out.facts.emplace_back();
    f.seq = seq;
    if (!hashes_only) BeginEntry(st, seq, hash, f);
  }
  FinishWaiting();
  later_.Run();
  sqlite3_reset(st);
  if (!status.ok() || hashes_only) return status;

  // The rows whose pages lie among the entries' (read-ahead off: the
  // chunks the entries came from serve them).
  conn_.SetReadAhead(false);
  st = rows_.get();
  sqlite3_reset(st);
  const RowidRange rowids = ItemRowids(k, last_seq, max_rowid);
  rows_.BindInt(1, rowids.first);
  rows_.BindInt(2, rowids.last);
  size_t n = 0;
  while (NextRow(st, conn_.handle(), "read records", status)) {
    RowFacts& row = row_batch_[n++];
    later_.Key(Column(st, 0), Column(st, 1), &row.key);
    ReadRowRest(st, row, &later_);
    if (n == kRowBatch) {
      later_.Run();
      out.rows.AddAll(keys_, row_batch_, n);
      n = 0;
    }
  }
  later_.Run();
  out.rows.AddAll(keys_, row_batch_, n);
  sqlite3_reset(st);
  return status;
}

void Lane::ReadRowRest(sqlite3_stmt* st, RowFacts& row, PendingDigests* later) {
  row.version = static_cast<uint64_t>(sqlite3_column_int64(st, 2));
  row.subject = Find(Column(st, 3)).pseudonym;
  if (later != nullptr) {
    later->Image(Column(st, 4), &row.data);
  } else {
    row.data = keys_.Image(Column(st, 4));
  }
}

Status Lane::CheckRows(RowidRange rowids, const JournalChecker& checker, RowFailure& out) {
  // The rows fill a small part of the file, in pages spread all over it:
  // read-ahead would read the whole file for them.
  conn_.SetReadAhead(false);
  sqlite3_stmt* st = rows_.get();
  sqlite3_reset(st);
  rows_.BindInt(1, rowids.first);
  rows_.BindInt(2, rowids.last);
  // Each row is judged kRowsInFlight - 1 rows after it was read, so that the
  // record table's memory it needs has been prefetched meanwhile.
  auto judge = [&](const PendingRow& p) {
    if (checker.AcceptRow(p.facts)) return;
    if (!out.problem.ok() && !RecordKeyLess(p.entity, p.id, out.entity, out.id)) return;
    out.entity = p.entity;
    out.id = p.id;
    out.problem = checker.RowProblem(p.entity, p.id, p.facts);
  };
  Status status;
  size_t n = 0;
  while (NextRow(st, conn_.handle(), "read records", status)) {
    PendingRow& p = pending_[n++ % kRowsInFlight];
    p.entity = Column(st, 0);
    p.id = Column(st, 1);
    p.facts.key = keys_.Of(p.entity, p.id);
    checker.Prefetch(p.facts.key);
    ReadRowRest(st, p.facts);
    if (n >= kRowsInFlight) judge(pending_[n % kRowsInFlight]);  // the oldest
  }
  for (size_t i = n >= kRowsInFlight ? n - kRowsInFlight + 1 : 0; i < n; ++i) {
    judge(pending_[i % kRowsInFlight]);
  }
  sqlite3_reset(st);
  return status;
}

}  // namespace custos::records
