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
//   3. JournalChecker::CheckRow for every live row: version, subject and
//      data against the record's latest entry. Any thread, any order, once
//      End has returned.
//   4. JournalChecker::FirstMissingRow: records the journal says exist but
//      that no row was accepted for.
//
// Problems are Corruption statuses naming the entry ("journal seq N: ...")
// or the record ("record ENTITY/ID: ..."), never a value of the record. For
// each entry the checks run in the order of the original single-pass
// verifier, so every implementation names the same first problem.
//
// Memory: about 140 bytes per record named by the journal. Records are
// known by a 128-bit SipHash of (entity, id) under a key drawn at random
// for each checker (an adversary who does not know it cannot make two
// records collide); images by their SHA-256.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/result.h"
#include "records/leaf.h"
#include "records/verify_payload.h"

namespace custos::records {

using RecordKey = std::array<uint8_t, 16>;

// Keys (entity, record id) pairs for one verification. Thread-safe.
class RecordKeys {
 public:
  RecordKeys();  // draws a random key
  RecordKey Of(std::string_view entity, std::string_view record_id) const;

 private:
  std::array<uint8_t, 16> key_;
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
  Hash256 before_digest{};  // SHA-256 of the images
  Hash256 after_digest{};
};

// Stage 1a. `column_subject` is the pseudonym of the entry's subject_id
// column. False (with f.problem set) when the entry already has a problem;
// then its payload is not to be opened.
bool CheckLeafAlone(const EntryColumns& in, const Pseudonym& column_subject, const RecordKeys& keys,
                    EntryFacts& f);

// Stage 1b, after CheckLeafAlone returned true. `opened` is the outcome of
// opening the payload: OK with `images`, NotFound when the subject's key
// was destroyed, or the error.
void CheckPayloadAlone(const Status& opened, const PayloadImages& images, EntryFacts& f);

class JournalChecker {
 public:
  // `expected_records`: how many records the journal may name (sizes the
  // table once; 0 lets it grow).
  explicit JournalChecker(size_t expected_records = 0);
  ~JournalChecker();
  JournalChecker(const JournalChecker&) = delete;
  JournalChecker& operator=(const JournalChecker&) = delete;

  const RecordKeys& keys() const { return keys_; }

  // Stage 2: the next entry. Returns its problem; do not call Add again
  // after a problem.
  Status Add(const EntryFacts& f);
  // After the last entry: `last_seq` is the seq the journal should end at.
  Status End(uint64_t last_seq);

  // Stage 3 (thread-safe after End): one live row, `subject` the pseudonym
  // of its subject_id.
  Status CheckRow(std::string_view entity, std::string_view id, uint64_t version,
                  const Pseudonym& subject, std::string_view data) const;

  // Stage 4: the first record, in (entity, id) order, that the journal says
  // is live but that CheckRow never accepted. `entry_key(seq)` returns the
  // entity and record id of a journal entry (to name the records); its
  // error is returned as is.
  using EntryKeyFn = std::function<Result<std::pair<std::string, std::string>>(uint64_t seq)>;
  Status FirstMissingRow(const EntryKeyFn& entry_key) const;

 private:
  struct Impl;
  RecordKeys keys_;
  std::unique_ptr<Impl> impl_;
};

// Orders row problems as a scan in (entity, id) order would meet them.
bool RecordKeyLess(std::string_view entity_a, std::string_view id_a, std::string_view entity_b,
                   std::string_view id_b);

}  // namespace custos::records
