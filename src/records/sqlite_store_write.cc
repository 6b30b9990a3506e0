// SqliteStore writes: each public write validates what it can on the
// caller's thread, then submits a mutation that runs on the writer thread
// inside its own savepoint of the group transaction.
#include "records/ids.h"
#include "records/sqlite_store_impl.h"

namespace custos::records {
namespace {

constexpr size_t kMaxReasonLength = 10000;

bool IsLowerName(std::string_view s) {
  if (s.empty() || s.size() > 32 || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

Status CheckWriteArgs(const Actor& actor, const std::optional<std::string>& reason) {
  if (actor.id.empty()) return Status::InvalidArgument("actor id is empty");
  if (!IsLowerName(actor.role)) {
    return Status::InvalidArgument("actor role must match [a-z][a-z0-9_-]{0,31}");
  }
  if (reason && reason->size() > kMaxReasonLength) {
    return Status::InvalidArgument("reason is longer than 10000 bytes");
  }
  return Status::OK();
}

// The canonical text of a validated record (nlohmann's compact dump with keys
// in byte order). The model has checked the UTF-8, so this cannot throw in
// practice; if it does, the exception stops here.
Result<std::string> CanonicalText(const nlohmann::json& record) {
  try {
    return record.dump();
  } catch (const std::exception&) {
    return Status::InvalidArgument("record is not valid UTF-8");
  }
}

Status NoRecord(std::string_view entity, std::string_view id) {
  return Status::NotFound(std::string(entity) + " " + std::string(id) + " does not exist");
}

Status VersionConflict(std::string_view entity, std::string_view id, uint64_t current,
                       uint64_t expected) {
  return Status::AlreadyExists("version conflict: " + std::string(entity) + " " + std::string(id) +
                               " is at version " + std::to_string(current) + ", not " +
                               std::to_string(expected));
}

}  // namespace

Result<std::optional<RowState>> SqliteStore::LoadRow(WriteTxn& txn, std::string_view entity,
                                                     std::string_view id) {
  ASSIGN_OR_RETURN(StmtLease st,
                   txn.conn.Prepare("SELECT version, subject_id, data, created_at FROM records"
                                    " WHERE entity = ? AND id = ?"));
  st.BindTextStatic(1, entity);
  st.BindTextStatic(2, id);
  ASSIGN_OR_RETURN(bool row, st.Step("read record"));
  if (!row) return std::optional<RowState>();
  RowState r;
  r.version = static_cast<uint64_t>(st.ColumnInt(0));
  r.subject_id = std::string(st.ColumnText(1));
  r.data = std::string(st.ColumnText(2));
  r.created_at = static_cast<uint64_t>(st.ColumnInt(3));
  return std::optional<RowState>(std::move(r));
}

Result<std::string> SqliteStore::ResolveReferences(WriteTxn& txn, const EntitySchema& schema,
                                                   std::string_view id,
                                                   const nlohmann::json& record) {
  std::string subject;
  if (schema.subject.kind == SubjectRule::Kind::kSelf) subject = std::string(id);
  if (schema.subject.kind == SubjectRule::Kind::kInstitution) {
    subject = std::string(kInstitutionSubject);
  }
  struct Ref {
    std::string_view field;
    std::string subject;
  };
  std::vector<Ref> refs;
  for (const FieldSpec& f : schema.fields) {
    if (f.type != FieldType::kReference) continue;
    auto it = record.find(f.name);
    if (it == record.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return Status::InvalidArgument("field \"" + std::string(f.name) + "\": not an id");
    }
    const std::string& target = it->get_ref<const std::string&>();
    ASSIGN_OR_RETURN(std::optional<RowState> row, LoadRow(txn, f.ref_entity, target));
    if (!row) {
      return Status::InvalidArgument("field \"" + std::string(f.name) + "\": no " +
                                     std::string(f.ref_entity) + " with this id");
    }
    if (f.name == schema.subject.field) subject = row->subject_id;
    refs.push_back(Ref{f.name, std::move(row->subject_id)});
  }
  // Evidence points at a stored document by its content address.
  if (auto doc = record.find("document_sha256"); doc != record.end() && doc->is_string()) {
    auto path = documents_.PathOf(doc->get_ref<const std::string&>());
    if (!path.ok() || !PathExists(*path)) {
      return Status::InvalidArgument(
          "field \"document_sha256\": no stored document with this hash (put it first)");
    }
  }
  if (subject.empty()) {
    return Status::InvalidArgument("field \"" + std::string(schema.subject.field) +
                                   "\": required to find the trainee the record belongs to");
  }
  for (const Ref& r : refs) {
    if (r.subject != kInstitutionSubject && r.subject != subject) {
      return Status::InvalidArgument("field \"" + std::string(r.field) +
                                     "\": refers to a record of another trainee");
    }
  }
  return subject;
}

Result<Record> SqliteStore::InsertRecord(WriteTxn& txn, const Actor& actor,
                                         const EntitySchema& schema, const nlohmann::json& record,
                                         std::string data, EventType event,
                                         const std::optional<std::string>& reason,
                                         const PreparedPayload* prepared) {
  Record out;
  out.entity = std::string(schema.name);
  out.id = NewRecordId();
  ASSIGN_OR_RETURN(out.subject_id, ResolveReferences(txn, schema, out.id, record));
  RETURN_IF_ERROR(CheckUnique(txn, schema, out.id, record));
  out.data = std::move(data);
  out.version = 1;
  out.created_at = out.updated_at = NowMicros();
  {
    ASSIGN_OR_RETURN(StmtLease ins,
                     txn.conn.Prepare("INSERT INTO records(entity, id, version, subject_id,"
                                      " data, created_at, updated_at)"
                                      " VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ins.BindTextStatic(1, out.entity);
    ins.BindTextStatic(2, out.id);
    ins.BindInt(3, 1);
    ins.BindTextStatic(4, out.subject_id);
    ins.BindTextStatic(5, out.data);
    ins.BindInt(6, static_cast<int64_t>(out.created_at));
    ins.BindInt(7, static_cast<int64_t>(out.updated_at));
    RETURN_IF_ERROR(ins.Run("insert record"));
  }
  EntryInput in;
  in.event = event;
  in.entity = out.entity;
  in.record_id = out.id;
  in.record_version = 1;
  in.actor = &actor;
  in.subject_id = out.subject_id;
  in.after = &out.data;
  in.reason = &reason;
  in.time_micros = out.created_at;
  in.fresh_record_id = true;
  in.prepared = prepared;
  RETURN_IF_ERROR(AppendEntry(txn, in).status());
  return out;
}

Status SqliteStore::CheckNotReferenced(WriteTxn& txn, const EntitySchema& schema,
                                       std::string_view id, std::string_view subject_id) {
  auto it = reverse_refs_.find(schema.name);
  if (it == reverse_refs_.end()) return Status::OK();
  for (const ReverseRef& rr : it->second) {
    // A reference to a trainee's record is only held by that trainee's
    // records (records_subject); one to an institution record is looked up
    // in its partial index, whose expression this must match exactly.
    std::string sql = std::string("SELECT id FROM records WHERE ") +
                      (rr.same_subject ? "subject_id = ?3 AND " : "") +
                      "entity = ?1 AND json_extract(data, '$." + std::string(rr.field) +
                      "') = ?2 LIMIT 1";
    ASSIGN_OR_RETURN(StmtLease st, txn.conn.Prepare(sql));
    st.BindTextStatic(1, rr.from->name);
    st.BindTextStatic(2, id);
    if (rr.same_subject) st.BindTextStatic(3, subject_id);
    ASSIGN_OR_RETURN(bool row, st.Step("check references"));
    if (row) {
      return Status::InvalidArgument(std::string(schema.name) + " " + std::string(id) +
                                     " is still referenced by " + std::string(rr.from->name) + " " +
                                     std::string(st.ColumnText(0)) + " (field \"" +
                                     std::string(rr.field) + "\")");
    }
  }
  return Status::OK();
}

Status SqliteStore::CheckUnique(WriteTxn& txn, const EntitySchema& schema, std::string_view id,
                                const nlohmann::json& record) {
  for (const FieldSpec& f : schema.fields) {
    if (!f.unique) continue;
    auto it = record.find(f.name);
    if (it == record.end() || !it->is_string()) continue;  // validated: absent or null
    // Entity and field are the model's names; the statement must match the
    // partial index of migration 0004 for SQLite to use it.
    std::string sql = "SELECT id FROM records WHERE entity = '" + std::string(schema.name) +
                      "' AND json_extract(data, '$." + std::string(f.name) +
                      "') = ? AND id <> ? LIMIT 1";
    ASSIGN_OR_RETURN(StmtLease st, txn.conn.Prepare(sql));
    st.BindTextStatic(1, it->get_ref<const std::string&>());
    st.BindTextStatic(2, id);
    ASSIGN_OR_RETURN(bool row, st.Step("check unique field"));
    if (row) {
      return Status::InvalidArgument("field \"" + std::string(f.name) +
                                     "\": " + std::string(schema.name) + " " +
                                     std::string(st.ColumnText(0)) + " already has this value");
    }
  }
  return Status::OK();
}

// A create between validation and commit.
struct SqliteStore::PendingCreate {
  Actor actor;
  const EntitySchema* schema = nullptr;
  nlohmann::json record;  // validated
  std::string data;       // its canonical text
  std::optional<std::string> reason;
  std::unique_ptr<PreparedPayload> payload;  // the journal entry's, seq aside
  Record out;                                // filled by the mutation
};

Result<std::shared_ptr<SqliteStore::PendingCreate>> SqliteStore::PrepareCreate(
    const Actor& actor, std::string_view entity, const nlohmann::json& body,
    std::optional<std::string> reason) {
  RETURN_IF_ERROR(CheckWriteArgs(actor, reason));
  const EntitySchema* schema = EntityOrNull(entity);
  if (schema == nullptr) return UnknownEntity(entity);
  auto op = std::make_shared<PendingCreate>();
  ASSIGN_OR_RETURN(op->record, ValidateRecord(*schema, body, Mode::kCreate));
  ASSIGN_OR_RETURN(op->data, CanonicalText(op->record));
  op->actor = actor;
  op->schema = schema;
  op->reason = std::move(reason);
  op->payload = PreparePayload(op->actor, std::nullopt, op->data, op->reason);
  return op;
}

Mutation SqliteStore::CreateMutation(std::shared_ptr<PendingCreate> op) {
  return [this, op = std::move(op)](WriteTxn& txn) -> Status {
    ASSIGN_OR_RETURN(op->out, InsertRecord(txn, op->actor, *op->schema, op->record, op->data,
                                           EventType::kCreate, op->reason, op->payload.get()));
    return Status::OK();
  };
}

Result<Record> SqliteStore::Create(const Actor& actor, std::string_view entity,
                                   const nlohmann::json& body, std::optional<std::string> reason) {
  ASSIGN_OR_RETURN(std::shared_ptr<PendingCreate> op,
                   PrepareCreate(actor, entity, body, std::move(reason)));
  RETURN_IF_ERROR(Write(CreateMutation(op)));
  return std::move(op->out);
}

void SqliteStore::CreateAsync(const Actor& actor, std::string_view entity,
                              const nlohmann::json& body, CreateDone done) {
  auto op = PrepareCreate(actor, entity, body, std::nullopt);
  if (!op.ok()) {
    done(op.status());
    return;
  }
  writer_->SubmitAsync(CreateMutation(*op), [op = *op, done = std::move(done)](Status st) {
    if (st.ok()) {
      done(std::move(op->out));
    } else {
      done(std::move(st));
    }
  });
}

Result<Record> SqliteStore::Update(const Actor& actor, std::string_view entity, std::string_view id,
                                   uint64_t expected_version, const nlohmann::json& body,
                                   UpdateMode mode, std::optional<std::string> reason) {
  RETURN_IF_ERROR(CheckWriteArgs(actor, reason));
  const EntitySchema* schema = EntityOrNull(entity);
  if (schema == nullptr) return UnknownEntity(entity);
  if (!IsValidRecordId(id)) return NoRecord(entity, "(invalid id)");
  std::optional<nlohmann::json> replacement;
  if (mode == UpdateMode::kReplace) {
    ASSIGN_OR_RETURN(replacement, ValidateRecord(*schema, body, Mode::kReplace));
  } else {
    // Early, cheap rejection of a bad patch; ApplyPatch validates the result.
    RETURN_IF_ERROR(ValidateRecord(*schema, body, Mode::kPatch).status());
  }
  Record out;
  Status written = Write([&](WriteTxn& txn) -> Status {
    ASSIGN_OR_RETURN(std::optional<RowState> row, LoadRow(txn, entity, id));
    if (!row) return NoRecord(entity, id);
    if (row->version != expected_version) {
      return VersionConflict(entity, id, row->version, expected_version);
    }
    nlohmann::json next;
    if (replacement) {
      next = *replacement;
    } else {
      nlohmann::json current = nlohmann::json::parse(row->data, nullptr, false);
      if (current.is_discarded()) {
        return Status::Corruption("stored " + std::string(entity) + " " + std::string(id) +
                                  " is not valid JSON");
      }
      ASSIGN_OR_RETURN(next, ApplyPatch(*schema, current, body));
    }
    ASSIGN_OR_RETURN(std::string subject, ResolveReferences(txn, *schema, id, next));
    RETURN_IF_ERROR(CheckUnique(txn, *schema, id, next));
    if (subject != row->subject_id) {
      return Status::InvalidArgument("the update would move " + std::string(entity) + " " +
                                     std::string(id) + " to another trainee");
    }
    out.entity = std::string(entity);
    out.id = std::string(id);
    out.version = row->version + 1;
    out.subject_id = std::move(subject);
    ASSIGN_OR_RETURN(out.data, CanonicalText(next));
    out.created_at = row->created_at;
    out.updated_at = NowMicros();
    {
      ASSIGN_OR_RETURN(StmtLease st,
                       txn.conn.Prepare("UPDATE records SET version = ?, data = ?,"
                                        " updated_at = ? WHERE entity = ? AND id = ?"));
      st.BindInt(1, static_cast<int64_t>(out.version));
      st.BindTextStatic(2, out.data);
      st.BindInt(3, static_cast<int64_t>(out.updated_at));
      st.BindTextStatic(4, out.entity);
      st.BindTextStatic(5, out.id);
      RETURN_IF_ERROR(st.Run("update record"));
    }
    EntryInput in;
    in.event = EventType::kUpdate;
    in.entity = out.entity;
    in.record_id = out.id;
    in.record_version = out.version;
    in.actor = &actor;
    in.subject_id = out.subject_id;
    in.before = &row->data;
    in.after = &out.data;
    in.reason = &reason;
    in.time_micros = out.updated_at;
    return AppendEntry(txn, in).status();
  });
  RETURN_IF_ERROR(written);
  return out;
}

Status SqliteStore::Delete(const Actor& actor, std::string_view entity, std::string_view id,
                           uint64_t expected_version, std::optional<std::string> reason) {
  RETURN_IF_ERROR(CheckWriteArgs(actor, reason));
  const EntitySchema* schema = EntityOrNull(entity);
  if (schema == nullptr) return UnknownEntity(entity);
  if (!IsValidRecordId(id)) return NoRecord(entity, "(invalid id)");
  return Write([&](WriteTxn& txn) -> Status {
    ASSIGN_OR_RETURN(std::optional<RowState> row, LoadRow(txn, entity, id));
    if (!row) return NoRecord(entity, id);
    if (row->version != expected_version) {
      return VersionConflict(entity, id, row->version, expected_version);
    }
    RETURN_IF_ERROR(CheckNotReferenced(txn, *schema, id, row->subject_id));
    {
      ASSIGN_OR_RETURN(StmtLease st,
                       txn.conn.Prepare("DELETE FROM records WHERE entity = ? AND id = ?"));
      st.BindTextStatic(1, entity);
      st.BindTextStatic(2, id);
      RETURN_IF_ERROR(st.Run("delete record"));
    }
    EntryInput in;
    in.event = EventType::kDelete;
    in.entity = entity;
    in.record_id = id;
    in.record_version = row->version + 1;
    in.actor = &actor;
    in.subject_id = row->subject_id;
    in.before = &row->data;
    in.reason = &reason;
    in.time_micros = NowMicros();
    return AppendEntry(txn, in).status();
  });
}

Result<std::vector<Record>> SqliteStore::ImportBatch(const Actor& actor, std::string_view entity,
                                                     std::span<const ImportItem> rows,
                                                     std::optional<std::string> reason) {
  RETURN_IF_ERROR(CheckWriteArgs(actor, reason));
  const EntitySchema* schema = EntityOrNull(entity);
  if (schema == nullptr) return UnknownEntity(entity);
  std::vector<nlohmann::json> records;
  std::vector<std::string> texts;
  records.reserve(rows.size());
  texts.reserve(rows.size());
  for (const ImportItem& row : rows) {
    auto r = ValidateRecord(*schema, row.body, Mode::kCreate);
    if (!r.ok()) return r.status().WithContext("line " + std::to_string(row.line));
    auto text = CanonicalText(*r);
    if (!text.ok()) return text.status().WithContext("line " + std::to_string(row.line));
    records.push_back(std::move(r).value());
    texts.push_back(std::move(text).value());
  }
  std::vector<Record> out;
  Status written = Write([&](WriteTxn& txn) -> Status {
    out.clear();
    out.reserve(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      auto r = InsertRecord(txn, actor, *schema, records[i], texts[i], EventType::kImport, reason);
      if (!r.ok()) return r.status().WithContext("line " + std::to_string(rows[i].line));
      out.push_back(std::move(r).value());
    }
    return Status::OK();
  });
  RETURN_IF_ERROR(written);
  return out;
}

Result<uint64_t> SqliteStore::LogAccess(const Actor& actor, std::string_view subject_id,
                                        std::string_view entity, std::string_view id,
                                        std::string_view purpose) {
  AuditEvent ev;
  ev.type = EventType::kAccess;
  ev.subject_id = std::string(subject_id);
  ev.entity = std::string(entity);
  ev.record_id = std::string(id);
  ev.reason = std::string(purpose);
  return AppendEvent(actor, ev);
}

Result<uint64_t> SqliteStore::AppendEvent(const Actor& actor, const AuditEvent& event) {
  RETURN_IF_ERROR(CheckWriteArgs(actor, event.reason));
  if (event.type != EventType::kAccess && event.type != EventType::kExport &&
      event.type != EventType::kRestoreTest) {
    return Status::InvalidArgument("event type " + std::string(EventTypeName(event.type)) +
                                   " is written by record operations only");
  }
  if (!IsLowerName(event.entity)) {
    return Status::InvalidArgument("event entity must match [a-z][a-z0-9_-]{0,31}");
  }
  if (!event.record_id.empty() && !IsValidRecordId(event.record_id)) {
    return Status::InvalidArgument("event record id must match [A-Za-z0-9_-]{1,64}");
  }
  if (event.subject_id != kInstitutionSubject && !IsValidRecordId(event.subject_id)) {
    return Status::InvalidArgument("subject id must be a record id or \"institution\"");
  }
  uint64_t seq = 0;
  Status written = Write([&](WriteTxn& txn) -> Status {
    RETURN_IF_ERROR(CheckSubjectExists(txn, event.subject_id));
    uint64_t version = 0;
    if (!event.record_id.empty() && EntityOrNull(event.entity) != nullptr) {
      ASSIGN_OR_RETURN(std::optional<RowState> row, LoadRow(txn, event.entity, event.record_id));
      if (row) {
        if (row->subject_id != event.subject_id) {
          return Status::InvalidArgument(event.entity + " " + event.record_id +
                                         " does not belong to the given subject");
        }
        version = row->version;
      }
    }
    EntryInput in;
    in.event = event.type;
    in.entity = event.entity;
    in.record_id = event.record_id;
    in.record_version = version;
    in.actor = &actor;
    in.subject_id = event.subject_id;
    in.after = event.details ? &*event.details : nullptr;
    in.reason = &event.reason;
    in.time_micros = NowMicros();
    ASSIGN_OR_RETURN(seq, AppendEntry(txn, in));
    return Status::OK();
  });
  RETURN_IF_ERROR(written);
  return seq;
}

Status SqliteStore::DestroySubjectKey(const Actor& actor, std::string_view subject_id,
                                      std::optional<std::string> reason) {
  RETURN_IF_ERROR(CheckWriteArgs(actor, reason));
  if (subject_id == kInstitutionSubject) {
    return Status::InvalidArgument("the institution's key cannot be destroyed");
  }
  if (!IsValidRecordId(subject_id)) return Status::NotFound("no such subject");
  return Write([&](WriteTxn& txn) -> Status {
    Status exists = CheckSubjectExists(txn, subject_id);
    if (exists.code() == Code::kInvalidArgument) {
      return Status::NotFound("the subject's key was already destroyed");
    }
    RETURN_IF_ERROR(exists);
    struct Live {
      std::string entity, id, data;
      uint64_t version;
    };
    std::vector<Live> live;
    {
      ASSIGN_OR_RETURN(StmtLease st,
                       txn.conn.Prepare("SELECT entity, id, version, data FROM records"
                                        " WHERE subject_id = ? ORDER BY entity, id"));
      st.BindTextStatic(1, subject_id);
      while (true) {
        ASSIGN_OR_RETURN(bool row, st.Step("read subject's records"));
        if (!row) break;
        live.push_back(Live{std::string(st.ColumnText(0)), std::string(st.ColumnText(1)),
                            std::string(st.ColumnText(3)), static_cast<uint64_t>(st.ColumnInt(2))});
      }
    }
    const uint64_t now = NowMicros();
    for (const Live& r : live) {
      {
        ASSIGN_OR_RETURN(StmtLease st,
                         txn.conn.Prepare("DELETE FROM records WHERE entity = ? AND id = ?"));
        st.BindTextStatic(1, r.entity);
        st.BindTextStatic(2, r.id);
        RETURN_IF_ERROR(st.Run("erase record"));
      }
      EntryInput in;
      in.event = EventType::kErase;
      in.entity = r.entity;
      in.record_id = r.id;
      in.record_version = r.version + 1;
      in.actor = &actor;
      in.subject_id = subject_id;
      in.before = &r.data;
      in.reason = &reason;
      in.time_micros = now;
      RETURN_IF_ERROR(AppendEntry(txn, in).status());
    }
    EntryInput key_entry;
    key_entry.event = EventType::kErase;
    key_entry.entity = "subject";
    key_entry.record_id = subject_id;
    key_entry.actor = &actor;
    key_entry.subject_id = subject_id;
    key_entry.reason = &reason;
    key_entry.time_micros = now;
    RETURN_IF_ERROR(AppendEntry(txn, key_entry).status());
    {
      ASSIGN_OR_RETURN(StmtLease st, txn.conn.Prepare("UPDATE subjects SET wrapped_key = NULL,"
                                                      " destroyed_at = ? WHERE subject_id = ?"));
      st.BindInt(1, static_cast<int64_t>(now));
      st.BindTextStatic(2, subject_id);
      RETURN_IF_ERROR(st.Run("destroy subject key"));
    }
    txn.destroyed.emplace_back(subject_id);
    txn.checkpoint_after_commit = true;
    return Status::OK();
  });
}

}  // namespace custos::records
