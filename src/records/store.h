// RecordsStore: the training records and their journal, behind one interface
// (SQLite by default, PostgreSQL for larger deployments). Every
// implementation passes tests/conformance/records_conformance.
//
// Contract
// - Thread-safety: every method may be called concurrently from any number
//   of threads. Reads never block writes.
// - Durability and audit: a write (Create, Update, Delete, ImportBatch,
//   LogAccess, AppendEvent, DestroySubjectKey) returns OK only after the
//   change and its journal entries are committed durably in ONE transaction.
//   A write that fails changed nothing and journaled nothing.
// - Journal: each record changed by a write gets exactly one entry (an
//   import of N rows gets N entries; an erasure gets one per removed record
//   plus one for the key). Sequence numbers start at 1 and have no gaps.
//   After a commit, and before any of its writers is acknowledged, the
//   commit listener gets the new entries in seq order.
// - Record bodies are validated against the records model
//   (records/model/validate.h) and stored in its canonical JSON form; the
//   same bytes are the after-image the journal commits to.
// - Errors (messages name entity, id, field or line, never a value):
//     InvalidArgument  unknown entity, invalid body, unknown filter field, a
//                      reference to a record that does not exist (names the
//                      field), evidence whose document_sha256 names no
//                      document stored with PutDocument, deleting a record others still reference,
//                      moving a record to another trainee, bad cursor, a
//                      value of a unique field (FieldSpec::unique: a ULN, a
//                      company number) that another live record of the
//                      entity holds (names the field and that record);
//     NotFound         the record (or document) does not exist;
//     AlreadyExists    optimistic-concurrency conflict: expected_version is
//                      not the record's current version (HTTP 409). Ids are
//                      server-generated, so Create never conflicts;
//     Corruption       stored data failed an integrity check;
//     IOError/NoSpace/Retryable from the database or file system.
// - Lifetime: the store owns its threads and connections; destroying it
//   waits for queued writes to finish.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "records/journal.h"
#include "records/leaf.h"

namespace custos::records {

// Who performs an operation. `id` is opaque (an API token id, "cli", a
// service name); leaves carry only its pseudonym. `role` is one of the API
// roles ("admin", "registrar", "assessor", "auditor", "trainee", "system").
struct Actor {
  std::string id;
  std::string role;
};

struct Record {
  std::string entity;
  std::string id;           // 26 characters, [0-9A-HJKMNP-TV-Z] (time-ordered, random)
  uint64_t version = 0;     // 1 after create, +1 per update
  std::string subject_id;   // the trainee's id, or kInstitutionSubject
  std::string data;         // canonical JSON object text
  uint64_t created_at = 0;  // unix microseconds UTC
  uint64_t updated_at = 0;

  bool operator==(const Record&) const = default;
};

enum class UpdateMode { kPatch, kReplace };

struct ListQuery {
  struct Equals {
    std::string field;  // a top-level field of the entity, or "subject_id"
    std::string value;  // compared as text; integers/booleans by their JSON text
  };
  struct Range {
    std::string field;                // a date/date-time field, or created_at / updated_at
    std::optional<std::string> from;  // inclusive; dates as in the record
    std::optional<std::string> to;    // inclusive
  };
  std::vector<Equals> equals;
  std::vector<Range> ranges;
  size_t limit = 100;  // 1..1000
  std::string cursor;  // empty for the first page; else ListPage::next_cursor
};

struct ListPage {
  std::vector<Record> records;  // in id order
  std::string next_cursor;      // empty when this is the last page
};

struct ImportItem {
  uint64_t line = 0;  // the source line, named in errors
  nlohmann::json body;
};

// A journal entry with its leaf decoded and, when the subject's key still
// exists, its payload decrypted.
struct HistoryEntry {
  JournalEntry entry;
  Leaf leaf;
  std::optional<Payload> payload;  // nullopt after erasure
};

// A page of a history: the entries with seq > after_seq, in seq order, at
// most `limit` of them (0: all).
struct HistoryQuery {
  uint64_t after_seq = 0;
  size_t limit = 0;
};

// An event that is not a record change (export, restore-test, access).
struct AuditEvent {
  EventType type = EventType::kExport;
  std::string subject_id;              // whose key seals the payload (or kInstitutionSubject)
  std::string entity;                  // what the event is about ("trainee", "export", ...)
  std::string record_id;               // may be empty
  std::optional<std::string> details;  // JSON text; committed as the after-image
  std::optional<std::string> reason;   // purpose or legal basis
};

struct StoreStats {
  uint64_t writes = 0;   // write operations acknowledged
  uint64_t commits = 0;  // database transactions committed (group commits)
  uint64_t last_seq = 0;
  // OK while the store takes writes; otherwise why it refuses every write
  // until restarted (a failed sync of its write-ahead log).
  Status writes_refused;
};

using CommitListener = std::function<void(std::span<const CommittedEntry>)>;

class RecordsStore {
 public:
  virtual ~RecordsStore() = default;

  // ---- records ----------------------------------------------------------
  virtual Result<Record> Create(const Actor& actor, std::string_view entity,
                                const nlohmann::json& body,
                                std::optional<std::string> reason = std::nullopt) = 0;
  // Create() without waiting for durability: `done` receives exactly what
  // Create() would have returned, exactly once. It may run on another thread
  // (a store's writer or notifier thread, so it must be quick and must not
  // call the store's write methods), or on the calling thread before
  // CreateAsync returns. The default implementation calls Create() here.
  using CreateDone = std::function<void(Result<Record>)>;
  virtual void CreateAsync(const Actor& actor, std::string_view entity, const nlohmann::json& body,
                           CreateDone done) {
    done(Create(actor, entity, body));
  }
  virtual Result<Record> Get(std::string_view entity, std::string_view id) = 0;
  // kPatch applies `body` as a JSON merge patch; kReplace replaces the record.
  virtual Result<Record> Update(const Actor& actor, std::string_view entity, std::string_view id,
                                uint64_t expected_version, const nlohmann::json& body,
                                UpdateMode mode,
                                std::optional<std::string> reason = std::nullopt) = 0;
  virtual Status Delete(const Actor& actor, std::string_view entity, std::string_view id,
                        uint64_t expected_version,
                        std::optional<std::string> reason = std::nullopt) = 0;
  // Keyset pagination in id order: a record that exists for the whole walk is
  // returned exactly once, whatever else is written meanwhile.
  virtual Result<ListPage> List(std::string_view entity, const ListQuery& query) = 0;
  // Creates every row or none (one transaction). The first failing row's
  // error is returned with "line N: " in front.
  virtual Result<std::vector<Record>> ImportBatch(
      const Actor& actor, std::string_view entity, std::span<const ImportItem> rows,
      std::optional<std::string> reason = std::nullopt) = 0;

  // ---- journal ----------------------------------------------------------
  // The entries of one record, or of every record of one subject (a
  // trainee's whole file), as the query pages them.
  virtual Result<std::vector<HistoryEntry>> History(std::string_view entity, std::string_view id,
                                                    const HistoryQuery& query) = 0;
  virtual Result<std::vector<HistoryEntry>> SubjectHistory(std::string_view subject_id,
                                                           const HistoryQuery& query) = 0;
  // Entries with from_seq <= seq <= to_seq, in order.
  virtual Result<std::vector<JournalEntry>> ReadJournal(uint64_t from_seq, uint64_t to_seq) = 0;
  // The leaf hashes of from_seq..to_seq, in order (for rebuilding the Merkle
  // tree at startup without loading leaves and payloads).
  virtual Status ReadLeafHashes(uint64_t from_seq, uint64_t to_seq,
                                const std::function<void(uint64_t, const Hash256&)>& fn) = 0;
  // Journals that `actor` read personal data of `subject_id` (FERPA §99.32).
  // Returns the entry's seq.
  virtual Result<uint64_t> LogAccess(const Actor& actor, std::string_view subject_id,
                                     std::string_view entity, std::string_view id,
                                     std::string_view purpose) = 0;
  // Journals an export, restore-test or access event. InvalidArgument for
  // record-change event types. Returns the entry's seq.
  virtual Result<uint64_t> AppendEvent(const Actor& actor, const AuditEvent& event) = 0;
  // Erasure: deletes every live record of the subject (one "erase" entry
  // each), then destroys its key (one "erase" entry, entity "subject"). Leaves
  // stay valid; every payload of the subject becomes unreadable.
  // InvalidArgument for the institution; NotFound for an unknown subject.
  virtual Status DestroySubjectKey(const Actor& actor, std::string_view subject_id,
                                   std::optional<std::string> reason = std::nullopt) = 0;
  // Called on one of the store's threads once each group commit is durable
  // and before its writes are acknowledged (so an acknowledged write is
  // already in the audit log), with the committed entries, groups in seq
  // order. It must be quick and must not call the store's write methods
  // (they would fail with Internal). nullptr clears.
  virtual void SetCommitListener(CommitListener listener) = 0;
  virtual uint64_t LastSeq() = 0;
  virtual StoreStats Stats() = 0;

  // ---- documents (content-addressed files under DIR/documents) ----------
  // Returns the SHA-256 (lowercase hex). Storing the same bytes twice is OK.
  virtual Result<std::string> PutDocument(ByteView bytes) = 0;
  virtual Result<std::string> PutDocumentFile(const std::string& path) = 0;
  // NotFound if absent; Corruption if the file no longer hashes to its name.
  virtual Result<Bytes> GetDocument(std::string_view sha256_hex) = 0;

  // ---- verifier support (custos audit verify) ---------------------------
  virtual Status ScanJournal(uint64_t from_seq, uint64_t to_seq,
                             const std::function<Status(const JournalEntry&)>& fn) = 0;
  // Every live record, ordered by (entity, id).
  virtual Status ScanRecords(const std::function<Status(const Record&)>& fn) = 0;
  // NotFound when the subject's key was destroyed; Corruption when the
  // payload does not authenticate.
  virtual Result<Payload> DecryptPayload(const JournalEntry& entry) = 0;
  virtual Pseudonym SubjectPseudonym(std::string_view subject_id) = 0;
};

// Checks the store against its own journal and names the first
// inconsistency (Corruption "journal seq N: ..." or "record E/ID: ..."):
// seqs contiguous from 1, stored leaf hashes, leaf decoding, per-record
// links and versions, payload authentication, commitments, before-image
// equal to the previous after-image, and every live row equal (data,
// version, subject) to the after-image of its record's latest entry, and no
// row for a record whose latest entry deleted it.
Status VerifyStoreAgainstJournal(RecordsStore& store);

}  // namespace custos::records
