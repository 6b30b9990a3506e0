// Writer-thread half of the journal: subject keys inside the write
// transaction and the one function that appends an entry.
#include <algorithm>
#include <map>
#include <string>

#include "base/log.h"
#include "base/random.h"
#include "records/ids.h"
#include "records/sqlite_store_impl.h"

namespace custos::records {

Result<Key256> SqliteStore::TxnSubjectKey(WriteTxn& txn, std::string_view subject_id) {
  for (const std::string& d : txn.destroyed) {
    if (d == subject_id) return Status::InvalidArgument("the subject was erased");
  }
  for (const auto& [id, key] : txn.new_keys) {
    if (id == subject_id) return key;
  }
  if (auto cached = keystore_->CachedKey(subject_id)) return *cached;
  {
    ASSIGN_OR_RETURN(StmtLease st,
                     txn.conn.Prepare("SELECT wrapped_key FROM subjects WHERE subject_id = ?"));
    st.BindText(1, subject_id);
    ASSIGN_OR_RETURN(bool row, st.Step("read subject key"));
    if (row) {
      if (st.ColumnIsNull(0)) return Status::InvalidArgument("the subject was erased");
      // Not created in this group (see new_keys above), so committed: safe to cache.
      ASSIGN_OR_RETURN(Key256 key, keystore_->UnwrapSubjectKey(subject_id, st.ColumnBlob(0)));
      keystore_->RememberKey(subject_id, key);
      return key;
    }
  }
  Key256 key = Keystore::NewSubjectKey();
  Bytes wrapped = keystore_->WrapSubjectKey(subject_id, key);
  ASSIGN_OR_RETURN(StmtLease ins,
                   txn.conn.Prepare("INSERT INTO subjects(subject_id, pseudonym, wrapped_key,"
                                    " created_at) VALUES (?, ?, ?, ?)"));
  ins.BindText(1, subject_id);
  ins.BindText(2, ToHex(ByteView(keystore_->SubjectPseudonym(subject_id))));
  ins.BindBlob(3, wrapped);
  ins.BindInt(4, static_cast<int64_t>(NowMicros()));
  RETURN_IF_ERROR(ins.Run("create subject key"));
  txn.new_keys.emplace_back(std::string(subject_id), key);
  return key;
}

Status SqliteStore::CheckSubjectExists(WriteTxn& txn, std::string_view subject_id) {
  if (subject_id == kInstitutionSubject) return Status::OK();
  for (const std::string& d : txn.destroyed) {
    if (d == subject_id) return Status::InvalidArgument("the subject was erased");
  }
  for (const auto& [id, key] : txn.new_keys) {
    if (id == subject_id) return Status::OK();
  }
  ASSIGN_OR_RETURN(StmtLease st,
                   txn.conn.Prepare("SELECT wrapped_key FROM subjects WHERE subject_id = ?"));
  st.BindText(1, subject_id);
  ASSIGN_OR_RETURN(bool row, st.Step("read subject"));
  if (!row) return Status::NotFound("no such subject");
  if (st.ColumnIsNull(0)) return Status::InvalidArgument("the subject was erased");
  return Status::OK();
}

std::unique_ptr<PreparedPayload> SqliteStore::PreparePayload(
    const Actor& actor, const std::optional<std::string>& before,
    const std::optional<std::string>& after, const std::optional<std::string>& reason) const {
  Payload payload;
  payload.actor = actor.id;
  payload.before = before;
  payload.after = after;
  payload.reason = reason;
  payload.salt.resize(kCommitmentSaltSize);
  RandomFill(payload.salt);
  auto out = std::make_unique<PreparedPayload>();
  out->commitment = PayloadCommitment(payload);
  out->json = EncodePayloadJson(payload);
  out->actor = ActorPseudonym(actor.id);
  if (payload.after) SecureWipe(payload.after->data(), payload.after->size());
  if (payload.before) SecureWipe(payload.before->data(), payload.before->size());
  return out;
}

const Pseudonym& SqliteStore::WriterSubjectPseudonym(std::string_view subject_id) {
  // Pseudonyms never change, so the cache needs no invalidation; it is only
  // bounded.
  auto it = writer_pseudonyms_.find(std::string(subject_id));
  if (it != writer_pseudonyms_.end()) return it->second;
  if (writer_pseudonyms_.size() >= 65536) writer_pseudonyms_.clear();
  return writer_pseudonyms_
      .emplace(std::string(subject_id), keystore_->SubjectPseudonym(subject_id))
      .first->second;
}

Pseudonym SqliteStore::ActorPseudonym(std::string_view actor_id) const {
  std::lock_guard lock(actor_mu_);
  auto it = actor_pseudonyms_.find(std::string(actor_id));
  if (it != actor_pseudonyms_.end()) return it->second;
  if (actor_pseudonyms_.size() >= 4096) actor_pseudonyms_.clear();
  return actor_pseudonyms_.emplace(std::string(actor_id), keystore_->ActorPseudonym(actor_id))
      .first->second;
}

Result<uint64_t> SqliteStore::AppendEntry(WriteTxn& txn, const EntryInput& in) {
  ASSIGN_OR_RETURN(Key256 key, TxnSubjectKey(txn, in.subject_id));
  Leaf leaf;
  leaf.seq = txn.next_seq;
  leaf.time_micros = in.time_micros;
  leaf.event = in.event;
  leaf.entity = std::string(in.entity);
  leaf.record_id = std::string(in.record_id);
  leaf.record_version = in.record_version;
  leaf.actor_role = in.actor->role;
  leaf.subject = WriterSubjectPseudonym(in.subject_id);

  std::unique_ptr<PreparedPayload> made;
  const PreparedPayload* payload = in.prepared;
  if (payload == nullptr) {
    const std::optional<std::string> none;
    made = PreparePayload(
        *in.actor, in.before != nullptr ? std::optional<std::string>(*in.before) : std::nullopt,
        in.after != nullptr ? std::optional<std::string>(*in.after) : std::nullopt,
        in.reason != nullptr ? *in.reason : none);
    payload = made.get();
  }
  leaf.actor = payload->actor;
  leaf.commitment = payload->commitment;

  if (!in.record_id.empty() && !in.fresh_record_id) {
    ASSIGN_OR_RETURN(StmtLease st,
                     txn.conn.Prepare("SELECT seq, leaf_hash FROM journal WHERE entity = ? AND"
                                      " record_id = ? ORDER BY seq DESC LIMIT 1"));
    st.BindTextStatic(1, in.entity);
    st.BindTextStatic(2, in.record_id);
    ASSIGN_OR_RETURN(bool row, st.Step("read previous journal entry"));
    if (row) {
      ByteView h = st.ColumnBlob(1);
      if (h.size() != 32) return Status::Corruption("journal: stored leaf hash is not 32 bytes");
      leaf.prev_seq = static_cast<uint64_t>(st.ColumnInt(0));
      std::copy(h.begin(), h.end(), leaf.prev_leaf_hash.begin());
    }
  }
  RETURN_IF_ERROR(ValidateLeaf(leaf));
  Bytes leaf_bytes = EncodeLeaf(leaf);
  Hash256 leaf_hash = LeafHash(leaf_bytes);
  Bytes sealed = SealPayloadJson(key, leaf.seq, leaf_hash, payload->json);
  SecureWipe(key.data(), key.size());

  ASSIGN_OR_RETURN(StmtLease ins,
                   txn.conn.Prepare("INSERT INTO journal(seq, leaf, leaf_hash, payload,"
                                    " subject_id, entity, record_id, time)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  ins.BindInt(1, static_cast<int64_t>(leaf.seq));
  ins.BindBlobStatic(2, leaf_bytes);
  ins.BindBlobStatic(3, leaf_hash);
  ins.BindBlobStatic(4, sealed);
  ins.BindTextStatic(5, in.subject_id);
  ins.BindTextStatic(6, in.entity);
  ins.BindTextStatic(7, in.record_id);
  ins.BindInt(8, static_cast<int64_t>(leaf.time_micros));
  RETURN_IF_ERROR(ins.Run("append journal entry"));
  txn.entries.push_back(CommittedEntry{leaf.seq, std::move(leaf_bytes), leaf_hash});
  ++txn.next_seq;
  return leaf.seq;
}

Status SqliteStore::IndexSubjects(WriteTxn& txn) {
  const uint64_t through = subject_indexed_through_;
  const uint64_t last = txn.next_seq - 1;
  // After a failed batch, the next try waits for another batch's worth.
  const uint64_t from = std::max(through, subject_index_failed_at_);
  if (last < from || last - from < subject_index_batch_) return Status::OK();
  // In a savepoint of its own: should the batch fail (a full disk), it is
  // undone alone, the group still commits, and a later commit tries again.
  RETURN_IF_ERROR(txn.conn.ExecCached("SAVEPOINT subject_index", "savepoint"));
  Status st = [&]() -> Status {
    // Each trainee's new seqs, ascending (the scan is in seq order), by
    // trainee, so that the inserts walk the index forwards.
    std::map<std::string, std::pair<uint64_t, std::string>, std::less<>> runs;
    {
      ASSIGN_OR_RETURN(StmtLease scan, txn.conn.Prepare("SELECT subject_id, seq FROM journal"
                                                        " WHERE seq > ?1 AND seq <= ?2"));
      scan.BindInt(1, static_cast<int64_t>(through));
      scan.BindInt(2, static_cast<int64_t>(last));
      while (true) {
        ASSIGN_OR_RETURN(bool row, scan.Step("read new journal subjects"));
        if (!row) break;
        const uint64_t seq = static_cast<uint64_t>(scan.ColumnInt(1));
        auto& [run_last, seqs] = runs[std::string(scan.ColumnText(0))];
        AppendToRun(seqs, seq);
        run_last = seq;
      }
    }
    for (const auto& [subject, run] : runs) {
      ASSIGN_OR_RETURN(StmtLease ins, txn.conn.Prepare("INSERT INTO journal_subject_runs"
                                                       " (subject_id, last_seq, seqs)"
                                                       " VALUES (?1, ?2, ?3)"));
      ins.BindTextStatic(1, subject);
      ins.BindInt(2, static_cast<int64_t>(run.first));
      ins.BindTextStatic(3, run.second);
      RETURN_IF_ERROR(ins.Run("index journal subjects"));
    }
    ASSIGN_OR_RETURN(StmtLease mark, txn.conn.Prepare("UPDATE journal_subject_indexed"
                                                      " SET through_seq = ?1 WHERE only = 1"));
    mark.BindInt(1, static_cast<int64_t>(last));
    return mark.Run("advance the subject index");
  }();
  if (st.ok()) st = txn.conn.ExecCached("RELEASE subject_index", "release savepoint");
  if (st.ok()) {
    txn.subject_indexed_through = last;
    if (subject_index_failed_at_ != 0) {
      subject_index_failed_at_ = 0;
      LogInfo("the subject index is up to date again", {{"seq", last}});
    }
    return Status::OK();
  }
  if (sqlite3_get_autocommit(txn.conn.handle()) != 0) return st;  // the transaction is lost
  // Once per run of failures: a trainee's history stays whole meanwhile (it
  // reads the journal after the index's end), only slower.
  if (subject_index_failed_at_ == 0) {
    LogWarn("the subject index could not be brought up to date; later commits try again",
            {{"error", st.ToString()}});
  }
  subject_index_failed_at_ = last;
  return txn.conn.Exec("ROLLBACK TO subject_index; RELEASE subject_index",
                       "roll back the subject index");
}

}  // namespace custos::records
