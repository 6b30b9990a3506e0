// Internal: the SqliteStore class shared by sqlite_store*.cc. Not for use
// outside src/records (include sqlite_store.h instead).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/fs.h"
#include "records/documents.h"
#include "records/keystore.h"
#include "records/model/formats.h"
#include "records/model/schema.h"
#include "records/model/validate.h"
#include "records/sqlite_checkpointer.h"
#include "records/sqlite_reader_pool.h"
#include "records/sqlite_store.h"
#include "records/sqlite_writer.h"

namespace custos::records {

// A live row as the writer reads it.
struct RowState {
  uint64_t version = 0;
  std::string subject_id;
  std::string data;
  uint64_t created_at = 0;
};

// The parts of a journal entry that do not depend on its seq, made on the
// caller's thread so that the writer thread only derives the entry key,
// hashes the leaf and seals.
struct PreparedPayload {
  std::string json;    // EncodePayloadJson of the payload (salt included)
  Hash256 commitment;  // PayloadCommitment of the same payload
  Pseudonym actor;     // the actor's pseudonym
  ~PreparedPayload() { SecureWipe(json.data(), json.size()); }
};

// What one journal entry records.
struct EntryInput {
  EventType event = EventType::kCreate;
  std::string_view entity;
  std::string_view record_id;
  uint64_t record_version = 0;
  const Actor* actor = nullptr;
  std::string_view subject_id;
  const std::string* before = nullptr;  // nullptr: none
  const std::string* after = nullptr;   // nullptr: none (deleted / not a record change)
  const std::optional<std::string>* reason = nullptr;
  uint64_t time_micros = 0;
  // The record id was minted in this mutation, so the journal holds no
  // earlier entry for it and the lookup of the previous entry is skipped.
  bool fresh_record_id = false;
  // When set, it replaces actor, before, after and reason for the payload.
  const PreparedPayload* prepared = nullptr;
};

// A field of another entity that references an entity (for delete checks).
struct ReverseRef {
  const EntitySchema* from;
  std::string_view field;
  bool same_subject;  // ReferenceSharesSubject(field): look it up within the subject's records
};

// True for a reference to a record of a trainee (a trainee or an enrollment).
// ResolveReferences refuses a record whose such reference names another
// trainee's record, and no update moves a record to another trainee, so every
// record holding the reference has the subject of the record it names. Lookups
// by such a field read the subject's records from records_subject; it has no
// index of its own (migration 0006).
bool ReferenceSharesSubject(const FieldSpec& f);

// The last journal seq the batched subject index holds (migration 0007).
Result<uint64_t> ReadSubjectIndexEnd(Connection& conn);
// A run of journal_subject_runs (migration 0007): one trainee's seqs as
// ascending decimal text separated by commas. AppendToRun adds `seq` to it;
// ParseRun appends the run's seqs above `after` to `out`, ascending, and is
// Corruption when the text is malformed or names a seq above `through`.
void AppendToRun(std::string& run, uint64_t seq);
Status ParseRun(std::string_view run, uint64_t after, uint64_t through, std::vector<uint64_t>& out);

class SqliteStore final : public RecordsStore {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& data_dir,
                                                   const SqliteStoreOptions& options);
  ~SqliteStore() override;

  Result<Record> Create(const Actor& actor, std::string_view entity, const nlohmann::json& body,
                        std::optional<std::string> reason) override;
  void CreateAsync(const Actor& actor, std::string_view entity, const nlohmann::json& body,
                   CreateDone done) override;
  Result<Record> Get(std::string_view entity, std::string_view id) override;
  Result<Record> Update(const Actor& actor, std::string_view entity, std::string_view id,
                        uint64_t expected_version, const nlohmann::json& body, UpdateMode mode,
                        std::optional<std::string> reason) override;
  Status Delete(const Actor& actor, std::string_view entity, std::string_view id,
                uint64_t expected_version, std::optional<std::string> reason) override;
  Result<ListPage> List(std::string_view entity, const ListQuery& query) override;
  Result<std::vector<Record>> ImportBatch(const Actor& actor, std::string_view entity,
                                          std::span<const ImportItem> rows,
                                          std::optional<std::string> reason) override;

  Result<std::vector<HistoryEntry>> History(std::string_view entity, std::string_view id,
                                            const HistoryQuery& query) override;
  Result<std::vector<HistoryEntry>> SubjectHistory(std::string_view subject_id,
                                                   const HistoryQuery& query) override;
  Result<std::vector<JournalEntry>> ReadJournal(uint64_t from_seq, uint64_t to_seq) override;
  Status ReadLeafHashes(uint64_t from_seq, uint64_t to_seq,
                        const std::function<void(uint64_t, const Hash256&)>& fn) override;
  Result<uint64_t> LogAccess(const Actor& actor, std::string_view subject_id,
                             std::string_view entity, std::string_view id,
                             std::string_view purpose) override;
  Result<uint64_t> AppendEvent(const Actor& actor, const AuditEvent& event) override;
  Status DestroySubjectKey(const Actor& actor, std::string_view subject_id,
                           std::optional<std::string> reason) override;
  void SetCommitListener(CommitListener listener) override;
  uint64_t LastSeq() override;
  StoreStats Stats() override;

  Result<std::string> PutDocument(ByteView bytes) override;
  Result<std::string> PutDocumentFile(const std::string& path) override;
  Result<Bytes> GetDocument(std::string_view sha256_hex) override;

  Status ScanJournal(uint64_t from_seq, uint64_t to_seq,
                     const std::function<Status(const JournalEntry&)>& fn) override;
  Status ScanRecords(const std::function<Status(const Record&)>& fn) override;
  Result<Payload> DecryptPayload(const JournalEntry& entry) override;
  Pseudonym SubjectPseudonym(std::string_view subject_id) override;

 private:
  SqliteStore(std::string dir, UniqueFd lock, std::unique_ptr<Keystore> keystore, size_t readers);

  // ---- writer thread (sqlite_store_write.cc, sqlite_journal_write.cc) ----
  Result<std::optional<RowState>> LoadRow(WriteTxn& txn, std::string_view entity,
                                          std::string_view id);
  // Checks every reference field of `record` and works out its subject.
  Result<std::string> ResolveReferences(WriteTxn& txn, const EntitySchema& schema,
                                        std::string_view id, const nlohmann::json& record);
  // `data` is the canonical text of `record` (CanonicalText), made before
  // the mutation so the writer thread does not serialise JSON.
  Result<Record> InsertRecord(WriteTxn& txn, const Actor& actor, const EntitySchema& schema,
                              const nlohmann::json& record, std::string data, EventType event,
                              const std::optional<std::string>& reason,
                              const PreparedPayload* prepared = nullptr);
  // The payload of an entry with these contents (fresh salt).
  std::unique_ptr<PreparedPayload> PreparePayload(const Actor& actor,
                                                  const std::optional<std::string>& before,
                                                  const std::optional<std::string>& after,
                                                  const std::optional<std::string>& reason) const;
  // The subject's pseudonym, remembered (writer thread only).
  const Pseudonym& WriterSubjectPseudonym(std::string_view subject_id);
  // The actor's pseudonym, remembered (any thread).
  Pseudonym ActorPseudonym(std::string_view actor_id) const;
  // Create: validation and canonical text on the caller's thread, then a
  // mutation for the writer.
  struct PendingCreate;
  Result<std::shared_ptr<PendingCreate>> PrepareCreate(const Actor& actor, std::string_view entity,
                                                       const nlohmann::json& body,
                                                       std::optional<std::string> reason);
  Mutation CreateMutation(std::shared_ptr<PendingCreate> op);
  // Before each COMMIT (writer thread): once subject_index_batch_ entries
  // have gathered, adds one row per subject with their seqs to
  // journal_subject_runs, in subject order, and advances
  // journal_subject_indexed (migration 0007).
  Status IndexSubjects(WriteTxn& txn);
  // InvalidArgument naming a record that references record `id` (of
  // `subject_id`), which therefore cannot be deleted.
  Status CheckNotReferenced(WriteTxn& txn, const EntitySchema& schema, std::string_view id,
                            std::string_view subject_id);
  // InvalidArgument naming the field and the other record when another live
  // record of the entity holds the value of one of `record`'s unique fields
  // (FieldSpec::unique; migration 0004 indexes them). `id` is the record's own.
  Status CheckUnique(WriteTxn& txn, const EntitySchema& schema, std::string_view id,
                     const nlohmann::json& record);
  // Appends one journal entry; returns its seq.
  Result<uint64_t> AppendEntry(WriteTxn& txn, const EntryInput& in);
  // The subject's key inside the write transaction, creating subject and
  // key when the subject is new. InvalidArgument when it was erased.
  Result<Key256> TxnSubjectKey(WriteTxn& txn, std::string_view subject_id);
  Status CheckSubjectExists(WriteTxn& txn, std::string_view subject_id);
  Status Write(Mutation m);

  // ---- readers (sqlite_store_read.cc) ------------------------------------
  // nullopt when the subject's key was destroyed or never existed.
  Result<std::optional<Key256>> ReaderSubjectKey(Connection& conn, std::string_view subject_id);
  // Decodes the entries' leaves and opens the payloads whose keys exist.
  Result<std::vector<HistoryEntry>> OpenHistory(Connection& conn,
                                                std::vector<JournalEntry> entries);

  const std::string dir_;
  UniqueFd lock_;
  std::unique_ptr<Keystore> keystore_;
  DocumentStore documents_;
  ReaderPool readers_;
  std::map<std::string_view, std::vector<ReverseRef>> reverse_refs_;
  std::mutex listener_mu_;
  CommitListener listener_;
  std::unordered_map<std::string, Pseudonym> writer_pseudonyms_;  // writer thread only
  uint64_t subject_index_batch_ = 8192;
  uint64_t subject_indexed_through_ = 0;  // writer thread only, once open: as committed
  uint64_t subject_index_failed_at_ = 0;  // writer thread only: last seq of a failed batch, 0: none
  mutable std::mutex actor_mu_;
  mutable std::unordered_map<std::string, Pseudonym> actor_pseudonyms_;  // under actor_mu_
  std::unique_ptr<Checkpointer> checkpointer_;                           // outlives the writer
  std::unique_ptr<GroupCommitWriter> writer_;                            // last: stopped first
};

// Shared helpers.
const EntitySchema* EntityOrNull(std::string_view entity);
Status UnknownEntity(std::string_view entity);
// A caller-supplied name made safe for an error message: printable ASCII
// only ('?' otherwise), at most 64 characters.
std::string PrintableName(std::string_view s);
Record RowToRecord(const StmtLease& st);  // columns: entity,id,version,subject_id,data,c,u
inline constexpr const char* kRecordColumns =
    "entity, id, version, subject_id, data, created_at, updated_at";

}  // namespace custos::records
