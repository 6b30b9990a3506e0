// SqliteStore: opening, the commit listener, documents and shared helpers.
// Writes are in sqlite_store_write.cc and sqlite_journal_write.cc, reads in
// sqlite_store_read.cc.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "records/sqlite_migrations.h"
#include "records/sqlite_store_impl.h"
#include "records/wal_write_buffer.h"

namespace custos::records {

const EntitySchema* EntityOrNull(std::string_view entity) {
  const EntitySchema* s = FindEntity(entity);
  // FindEntity also accepts plurals; the store takes singular names only.
  return (s != nullptr && s->name == entity) ? s : nullptr;
}

bool ReferenceSharesSubject(const FieldSpec& f) {
  if (f.type != FieldType::kReference) return false;
  const EntitySchema* target = EntityOrNull(f.ref_entity);
  return target != nullptr && target->subject.kind != SubjectRule::Kind::kInstitution;
}

std::string PrintableName(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

Status UnknownEntity(std::string_view entity) {
  return Status::InvalidArgument("unknown entity \"" + PrintableName(entity) + "\"");
}

Record RowToRecord(const StmtLease& st) {
  Record r;
  r.entity = std::string(st.ColumnText(0));
  r.id = std::string(st.ColumnText(1));
  r.version = static_cast<uint64_t>(st.ColumnInt(2));
  r.subject_id = std::string(st.ColumnText(3));
  r.data = std::string(st.ColumnText(4));
  r.created_at = static_cast<uint64_t>(st.ColumnInt(5));
  r.updated_at = static_cast<uint64_t>(st.ColumnInt(6));
  return r;
}

Result<std::unique_ptr<RecordsStore>> OpenSqliteStore(const std::string& data_dir,
                                                      const SqliteStoreOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(data_dir, options));
  return std::unique_ptr<RecordsStore>(std::move(store));
}

Result<bool> SqliteRecordExists(const std::string& data_dir, std::string_view entity,
                                std::string_view id) {
  const std::string db_path = JoinPath(data_dir, "records.db");
  if (!PathExists(db_path)) return false;
  ConnectionOptions o;
  o.read_only = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(db_path, o));
  ASSIGN_OR_RETURN(StmtLease st,
                   conn->PrepareOnce("SELECT 1 FROM records WHERE entity = ? AND id = ?"));
  st.BindTextStatic(1, entity);
  st.BindTextStatic(2, id);
  return st.Step("look up record");
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& data_dir,
                                                       const SqliteStoreOptions& options) {
  RETURN_IF_ERROR(MakeDirs(data_dir, 0700));
  std::string lock_path = JoinPath(data_dir, "records.lock");
  UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid()) return Status::FromErrno(errno, "open records.lock");
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::Locked("the records store in this data directory is open in another process");
    }
    return Status::FromErrno(errno, "lock records.lock");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Keystore> keystore, Keystore::OpenOrCreate(data_dir));

  ConnectionOptions wopts;
  wopts.create = true;
  wopts.busy_timeout_ms = options.busy_timeout_ms;
  wopts.synchronous_full = true;
  // Each group commit's WAL frames reach the kernel in one write.
  wopts.vfs = WalWriteBufferVfs();
  wopts.page_size = kNewStorePageSize;
  std::string db_path = JoinPath(data_dir, "records.db");
  ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(db_path, wopts));
  // Erased rows are overwritten, not just unlinked from the b-tree.
  RETURN_IF_ERROR(conn->Exec("PRAGMA secure_delete=ON", "enable secure_delete"));
  // A group of a thousand writes dirties a few MiB of pages; keep them in
  // memory until COMMIT instead of spilling to the WAL mid-transaction.
  RETURN_IF_ERROR(conn->Exec("PRAGMA cache_size=-65536", "set cache size"));
  // Each write runs in its own savepoint; keep the savepoints' undo pages
  // (the statement journal) in memory rather than in a temp file that is
  // created, written page by page and unlinked for every group.
  RETURN_IF_ERROR(conn->Exec("PRAGMA temp_store=MEMORY", "keep statement journals in memory"));
  RETURN_IF_ERROR(ApplyMigrations(*conn, EmbeddedMigrations()).status());
  uint64_t next_seq = 1;
  {
    ASSIGN_OR_RETURN(StmtLease st, conn->PrepareOnce("SELECT COALESCE(MAX(seq), 0) FROM journal"));
    ASSIGN_OR_RETURN(bool row, st.Step("read journal end"));
    if (row) next_seq = static_cast<uint64_t>(st.ColumnInt(0)) + 1;
  }
  ASSIGN_OR_RETURN(uint64_t subject_indexed_through, ReadSubjectIndexEnd(*conn));

  // Checkpoints run beside the writer once the WAL holds ~128 MiB, whatever
  // the page size the store was created with. Writes spread over many
  // trainees dirty scattered index pages; a longer WAL lets a checkpoint
  // copy each such page once for several of its versions (measured over
  // 1,000 trainees: 6.6 % more writes/s at 64 MiB than at 16 MiB, and 9.7 %
  // more at 128 MiB than at 64). The cost: the WAL file grows to that size,
  // and a restart after a crash reads that much of it.
  int64_t page_size = 0;
  {
    ASSIGN_OR_RETURN(StmtLease st, conn->PrepareOnce("PRAGMA page_size"));
    ASSIGN_OR_RETURN(bool row, st.Step("read page size"));
    if (row) page_size = st.ColumnInt(0);
  }
  const int wal_pages = static_cast<int>((int64_t{128} << 20) / std::max<int64_t>(page_size, 512));
  ASSIGN_OR_RETURN(std::unique_ptr<Checkpointer> checkpointer,
                   Checkpointer::Start(db_path, wal_pages));
  checkpointer->Attach(*conn);

  std::unique_ptr<SqliteStore> store(
      new SqliteStore(data_dir, std::move(lock), std::move(keystore), options.reader_connections));
  SqliteStore* self = store.get();
  self->subject_index_batch_ = std::max<uint64_t>(options.subject_index_batch, 1);
  self->subject_indexed_through_ = subject_indexed_through;
  GroupCommitHooks hooks;
  hooks.before_commit = [self](WriteTxn& txn) { return self->IndexSubjects(txn); };
  hooks.on_commit = [self](const WriteTxn& txn) {
    if (txn.subject_indexed_through != 0) {
      self->subject_indexed_through_ = txn.subject_indexed_through;
    }
    for (const auto& [id, key] : txn.new_keys) self->keystore_->RememberKey(id, key);
    for (const std::string& id : txn.destroyed) self->keystore_->ForgetKey(id);
    if (txn.checkpoint_after_commit) self->checkpointer_->RequestTruncate();
  };
  hooks.on_entries = [self](std::span<const CommittedEntry> entries) {
    CommitListener listener;
    {
      std::lock_guard guard(self->listener_mu_);
      listener = self->listener_;
    }
    if (listener) listener(entries);
  };
  hooks.sync_wal = options.sync_wal;
  store->checkpointer_ = std::move(checkpointer);
  store->writer_ = std::make_unique<GroupCommitWriter>(std::move(conn), next_seq, options.max_group,
                                                       std::move(hooks), db_path + "-wal");
  return store;
}

SqliteStore::SqliteStore(std::string dir, UniqueFd lock, std::unique_ptr<Keystore> keystore,
                         size_t readers)
    : dir_(std::move(dir)),
      lock_(std::move(lock)),
      keystore_(std::move(keystore)),
      documents_(dir_),
      readers_(JoinPath(dir_, "records.db"), readers) {
  for (const EntitySchema& from : AllEntities()) {
    for (const FieldSpec& f : from.fields) {
      if (f.type == FieldType::kReference) {
        reverse_refs_[f.ref_entity].push_back(ReverseRef{&from, f.name, ReferenceSharesSubject(f)});
      }
    }
  }
}

SqliteStore::~SqliteStore() { writer_.reset(); }

void SqliteStore::SetCommitListener(CommitListener listener) {
  std::lock_guard lock(listener_mu_);
  listener_ = std::move(listener);
}

uint64_t SqliteStore::LastSeq() { return writer_->last_seq(); }

StoreStats SqliteStore::Stats() {
  return StoreStats{writer_->writes(), writer_->commits(), writer_->last_seq(), writer_->refusal()};
}

Status SqliteStore::Write(Mutation m) { return writer_->Submit(std::move(m)); }

Result<std::string> SqliteStore::PutDocument(ByteView bytes) { return documents_.Put(bytes); }
Result<std::string> SqliteStore::PutDocumentFile(const std::string& path) {
  return documents_.PutFile(path);
}
Result<Bytes> SqliteStore::GetDocument(std::string_view sha256_hex) {
  return documents_.Get(sha256_hex);
}

Pseudonym SqliteStore::SubjectPseudonym(std::string_view subject_id) {
  return keystore_->SubjectPseudonym(subject_id);
}

}  // namespace custos::records
