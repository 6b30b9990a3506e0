// The checks behind VerifyStoreAgainstJournal (store.h), split by what they
// need so that a verifier can spread them over threads:
//
//   1. CheckLeafAlone, then CheckPayloadAlone: everything about one entry on
//      its own (stored leaf hash, leaf decoding, columns, subject pseudonym,
//      payload authentication and commitment, image digests). Any thread,
//      any order.
//   2. JournalChecker::Add, in seq order on one thread: contiguous seqs,
//      per-record links and versions, event sequences, before-image equal
//      to the previous after-image. Then JournalChecker::End.
//   3. JournalChecker::CheckRow (or AcceptRow and RowProblem) for every live
//      row: version, subject and data against the record's latest entry.
//      Any thread, any order, once End has returned.
//   4. JournalChecker::FirstMissingRow: records the journal says exist but
//      that no row was accepted for.
//
// Stages 3 and 4 have a shortcut: RowSet digests the facts of a set of
// rows in any order, and JournalChecker::LiveRows digests the rows the
// journal says should exist. When the two are equal, stages 3 and 4 would
// find nothing (short of a 2^-128 chance), and a verifier can skip them;
// when not, they name the problem.
//
// Problems are Corruption statuses naming the entry ("journal seq N: ...")
// or the record ("record ENTITY/ID: ..."), never a value of the record. For
// each entry the checks run in the order of the original single-pass
// verifier, so every implementation names the same first problem.
//
// Memory: about 120 bytes per record named by the journal. Records are
// known by a 128-bit SipHash of (entity, id), and record images (the before
// and after texts of payloads, the data of rows) by a 128-bit SipHash of
// their bytes, each under a key drawn at random for each checker: an
// adversary who does not know the keys cannot make two records, or two
// different texts, collide (short of a 2^-128 chance).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "records/leaf.h"
#include "records/verify_payload.h"

namespace custos::records {

using RecordKey = std::array<uint8_t, 16>;
using ImageDigest = std::array<uint8_t, 16>;

struct RowFacts;
class PendingDigests;

// Keys (entity, record id) pairs and digests images for one verification.
// Thread-safe.
class RecordKeys {
 public:
  RecordKeys();  // draws random keys
  RecordKey Of(std::string_view entity, std::string_view record_id) const;
  ImageDigest Image(std::string_view text) const;
  // The keyed 128-bit SipHash of all the facts of each of rows[0..n)
  // (RowSet's terms), many at once (verify_siphash.h).
  void RowTerms(const RowFacts* rows, size_t n, std::array<uint64_t, 2>* out) const;

 private:
  friend class PendingDigests;
  std::array<uint8_t, 16> record_key_;
  std::array<uint8_t, 16> image_key_;
  std::array<uint8_t, 16> row_key_;
};

// A stored journal row, as read from the store.
struct EntryColumns {
  uint64_t seq = 0;
  ByteView leaf;
  Hash256 leaf_hash{};  // as stored
  std::string_view entity;
  std::string_view record_id;
};

// What stage 1 found out about one entry; stage 2 reads it.
struct EntryFacts {
  uint64_t seq = 0;
  Hash256 leaf_hash{};
  std::string problem;  // the entry's first problem ("" when none)
  // From the decoded leaf (meaningful when `problem` is empty).
  EventType event = EventType::kCreate;
  bool has_record_id = false;
  bool record_event = false;  // changes a record (create ... erase of a record)
  uint64_t record_version = 0;
  uint64_t prev_seq = 0;
  Hash256 prev_leaf_hash{};
  Hash256 commitment{};
  Pseudonym subject{};
  RecordKey key{};
  // The payload; not opened when the subject's key was destroyed.
  bool opened = false;
  bool has_before = false;
  bool has_after = false;
  ImageDigest before_digest{};  // RecordKeys::Image of the images
  ImageDigest after_digest{};
};

// Stage 1a. `column_subject` is the pseudonym of the entry's subject_id
// column. False (with f.problem set) when the entry already has a problem;
// then its payload is not to be opened.
bool CheckLeafAlone(const EntryColumns& in, const Pseudonym& column_subject, const RecordKeys& keys,
                    EntryFacts& f);
// Stage 1a in two parts, for a caller that computes the leaf hash later
// (together with the commitment, verify_sha.h): CheckLeafAlone is the check
// of the stored leaf hash (problem kStoredLeafHashProblem), then
// CheckLeafFields, everything else. A caller that runs CheckLeafFields first
// must still name the stored-hash problem, when there is one, instead of any
// that CheckLeafFields found or that the payload would give.
// With `later`, the record key is asked of it instead of computed (f.key is
// written by its next Run).
bool CheckLeafFields(const EntryColumns& in, const Pseudonym& column_subject,
                     const RecordKeys& keys, EntryFacts& f, PendingDigests* later = nullptr);
// The problem CheckLeafAlone names when the leaf's hash differs from the
// stored one.
inline constexpr const char* kStoredLeafHashProblem = "stored leaf hash does not match the leaf";

// Stage 1b, after CheckLeafAlone returned true. `opened` is the outcome of
// opening the payload: OK with `images`, NotFound when the subject's key
// was destroyed, or the error.
// `commitment`, when given, is VerifyCommitment(images.salt, after-image)
// computed by the caller. With `later`, the image digests are asked of it
// (written into `f` by its next Run).
void CheckPayloadAlone(const Status& opened, const PayloadImages& images, const RecordKeys& keys,
                       EntryFacts& f, const Hash256* commitment = nullptr,
                       PendingDigests* later = nullptr);

// What stage 3 needs of one live row.
struct RowFacts {
  RecordKey key{};      // RecordKeys::Of(entity, id)
  ImageDigest data{};   // RecordKeys::Image(data)
  Pseudonym subject{};  // of its subject_id
  uint64_t version = 0;
};

// An order-independent digest of a set of rows: the sum, modulo 2^128, of
// the term (RecordKeys::RowTerms) of each (a multiset hash, Clarke et al. 2003,
// "MSet-Add-Hash"). Under one RecordKeys, two different sets of rows have
// equal digests with a chance of about 2^-128 for an adversary who does not
// know the keys. Rows can be added in any order, on any thread, and the
// digests of disjoint sets added up.
class RowSet {
 public:
  void Add(const RecordKeys& keys, const RowFacts& row) { AddAll(keys, &row, 1); }
  // The same for rows[0..n), their terms computed together.
  void AddAll(const RecordKeys& keys, const RowFacts* rows, size_t n);
  void Add(const RowSet& other) { Add(std::array<uint64_t, 2>{other.lo_, other.hi_}); }
  bool operator==(const RowSet&) const = default;

 private:
  void Add(const std::array<uint64_t, 2>& term) {
    lo_ += term[0];
    hi_ += term[1] + (lo_ < term[0] ? 1 : 0);
  }
  uint64_t lo_ = 0;
  uint64_t hi_ = 0;
};

// RecordKeys::Of and Image asked for now and computed later, many at once
// (verify_siphash.h): a lane asks for the digests of an entry or a row as
// it reads them and has them before it hands the item on. The inputs are
// copied (they may be freed or reused before Run); the copies of texts,
// which hold personal data, are wiped once digested. Each output is
// written by the Run after the request, and must stay valid until then.
// Runs by itself every kBatch requests of a kind.
//
// Thread-safety: one thread at a time.
class PendingDigests {
 public:
  static constexpr size_t kBatch = 64;
  explicit PendingDigests(const RecordKeys& keys) : keys_(keys) {}
  ~PendingDigests();
  PendingDigests(const PendingDigests&) = delete;
  PendingDigests& operator=(const PendingDigests&) = delete;

  void Key(std::string_view entity, std::string_view record_id, RecordKey* out);
  void Image(std::string_view text, ImageDigest* out);
  // Computes and writes every digest asked for so far.
  void Run();

 private:
  struct Job {
    size_t offset, size;
    uint8_t* out;  // 16 bytes
  };
  // The copied inputs, back to back, and what to write where. The buffer
  // only grows; when it does, the old one is wiped before it is freed.
  struct Queue {
    std::unique_ptr<uint8_t[]> bytes;
    size_t size = 0, capacity = 0;
    Job jobs[kBatch];
    size_t count = 0;
    uint8_t* Append(size_t n);  // room for n more bytes
  };
  void Flush(Queue& q, const uint8_t* key);
  const RecordKeys& keys_;
  Queue keys_queue_, images_queue_;
};

class JournalChecker {
 public:
  // `expected_records`: how many records the journal may name (sizes the
  // table once; 0 lets it grow).
  explicit JournalChecker(size_t expected_records = 0);
  ~JournalChecker();
  JournalChecker(const JournalChecker&) = delete;
  JournalChecker& operator=(const JournalChecker&) = delete;

  const RecordKeys& keys() const { return keys_; }

  // A hint, before the first Add, that about `records` records will be
  // added: their memory is faulted in on another thread meanwhile.
  void Prefault(size_t records);

  // Stage 2: the next entry. Returns its problem; do not call Add again
  // after a problem.
  Status Add(const EntryFacts& f);
  // A hint that Add or AcceptRow will soon look up `key`: starts loading
  // the memory they need first (the record table is far larger than the
  // caches). Thread-safe where the lookup would be.
  void Prefetch(const RecordKey& key) const;
  // After the last entry: `last_seq` is the seq the journal should end at.
  Status End(uint64_t last_seq);

  // Stage 3 (thread-safe after End): one live row, `subject` the pseudonym
  // of its subject_id. OK, or the row's problem naming ENTITY/ID.
  Status CheckRow(std::string_view entity, std::string_view id, uint64_t version,
                  const Pseudonym& subject, std::string_view data) const;
  // The same in two steps, for a row known by its facts: AcceptRow is true
  // when CheckRow would return OK (and counts the row as seen, as CheckRow
  // does); RowProblem is CheckRow's problem for a row it did not accept.
  bool AcceptRow(const RowFacts& row) const;
  Status RowProblem(std::string_view entity, std::string_view id, const RowFacts& row) const;

  // Stage 4: the first record, in (entity, id) order, that the journal says
  // is live but that CheckRow never accepted. `entry_key(seq)` returns the
  // entity and record id of a journal entry (to name the records); its
  // error is returned as is.
  using EntryKeyFn = std::function<Result<std::pair<std::string, std::string>>(uint64_t seq)>;
  Status FirstMissingRow(const EntryKeyFn& entry_key) const;

  // After End: the RowSet of the rows the journal says should exist (one
  // per live record, with its version, subject and latest after-image), or
  // nullopt when the payload of a live record's latest entry could not be
  // opened (its row fails stage 3, or its absence stage 4).
  std::optional<RowSet> LiveRows() const;

 private:
  struct Impl;
  RecordKeys keys_;
  std::unique_ptr<Impl> impl_;
};

// Orders row problems as a scan in (entity, id) order would meet them.
bool RecordKeyLess(std::string_view entity_a, std::string_view id_a, std::string_view entity_b,
                   std::string_view id_b);

}  // namespace custos::records
