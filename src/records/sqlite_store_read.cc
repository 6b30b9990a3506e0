// SqliteStore reads: each takes a connection from the reader pool, so reads
// see the last committed state and never wait for the writer.
#include <algorithm>
#include <charconv>

#include "records/ids.h"
#include "records/model/list_filter.h"
#include "records/sqlite_store_impl.h"

namespace custos::records {
namespace {

constexpr size_t kMaxListLimit = 1000;
constexpr const char* kJournalColumns =
    "seq, leaf, leaf_hash, payload, subject_id, entity, record_id, time";

Result<JournalEntry> RowToEntry(const StmtLease& st) {
  JournalEntry e;
  e.seq = static_cast<uint64_t>(st.ColumnInt(0));
  ByteView leaf = st.ColumnBlob(1);
  e.leaf.assign(leaf.begin(), leaf.end());
  ByteView h = st.ColumnBlob(2);
  if (h.size() != 32) {
    return Status::Corruption("journal seq " + std::to_string(e.seq) +
                              ": stored leaf hash is not 32 bytes");
  }
  std::copy(h.begin(), h.end(), e.leaf_hash.begin());
  ByteView p = st.ColumnBlob(3);
  e.payload.assign(p.begin(), p.end());
  e.subject_id = std::string(st.ColumnText(4));
  e.entity = std::string(st.ColumnText(5));
  e.record_id = std::string(st.ColumnText(6));
  e.time_micros = static_cast<uint64_t>(st.ColumnInt(7));
  return e;
}

std::string EncodeCursor(std::string_view last_id) { return "c1" + ToHex(AsBytes(last_id)); }

Result<std::string> DecodeCursor(std::string_view cursor) {
  if (cursor.size() < 2 || cursor.substr(0, 2) != "c1") {
    return Status::InvalidArgument("invalid list cursor");
  }
  auto bytes = FromHex(cursor.substr(2));
  if (!bytes.ok()) return Status::InvalidArgument("invalid list cursor");
  std::string id(AsString(*bytes));
  if (!IsValidRecordId(id)) return Status::InvalidArgument("invalid list cursor");
  return id;
}

bool ParseInt64(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Result<Record> SqliteStore::Get(std::string_view entity, std::string_view id) {
  if (EntityOrNull(entity) == nullptr) return UnknownEntity(entity);
  if (!IsValidRecordId(id))
    return Status::NotFound(std::string(entity) + " (invalid id) does not exist");
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  ASSIGN_OR_RETURN(StmtLease st, conn->Prepare(std::string("SELECT ") + kRecordColumns +
                                               " FROM records WHERE entity = ? AND id = ?"));
  st.BindTextStatic(1, entity);
  st.BindTextStatic(2, id);
  ASSIGN_OR_RETURN(bool row, st.Step("read record"));
  if (!row) {
    return Status::NotFound(std::string(entity) + " " + std::string(id) + " does not exist");
  }
  return RowToRecord(st);
}

Result<ListPage> SqliteStore::List(std::string_view entity, const ListQuery& query) {
  const EntitySchema* schema = EntityOrNull(entity);
  if (schema == nullptr) return UnknownEntity(entity);
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    return Status::InvalidArgument("list limit must be between 1 and 1000");
  }
  std::string after;
  if (!query.cursor.empty()) {
    ASSIGN_OR_RETURN(after, DecodeCursor(query.cursor));
  }

  // Field names come from the schema (checked below), never from the caller
  // verbatim, so they are safe to put into the SQL text; values are bound.
  std::string sql =
      std::string("SELECT ") + kRecordColumns + " FROM records WHERE entity = ?1 AND id > ?2";
  using Binder = std::function<void(StmtLease&, int)>;
  std::vector<Binder> binders;
  auto field_expr = [](std::string_view name) {
    return "json_extract(data, '$." + std::string(name) + "')";
  };
  for (const ListQuery::Equals& eq : query.equals) {
    if (eq.field == "subject_id") {
      sql += " AND subject_id = ?";
      binders.push_back([v = eq.value](StmtLease& st, int i) { st.BindText(i, v); });
      continue;
    }
    const FieldSpec* f = schema->FindField(eq.field);
    if (f == nullptr) {
      return Status::InvalidArgument("unknown filter field \"" + PrintableName(eq.field) + "\"");
    }
    const std::string name(f->name);
    if (ReferenceSharesSubject(*f)) {
      // Records that name a trainee's record are that trainee's
      // (ReferenceSharesSubject): read them from records_subject, in id
      // order. A value that names no record matches nothing.
      ASSIGN_OR_RETURN(std::string v, FilterEquals(*schema, *f, eq.value));
      sql += " AND subject_id = (SELECT subject_id FROM records WHERE entity = '" +
             std::string(f->ref_entity) + "' AND id = ?) AND " + field_expr(f->name) + " = ?";
      binders.push_back([v](StmtLease& st, int i) { st.BindText(i, v); });
      binders.push_back([v = std::move(v)](StmtLease& st, int i) { st.BindText(i, v); });
      continue;
    }
    sql += " AND " + field_expr(f->name) + " = ?";
    switch (f->type) {
      case FieldType::kInteger: {
        int64_t v;
        if (!ParseInt64(eq.value, v)) {
          return Status::InvalidArgument("filter field \"" + name + "\": not an integer");
        }
        binders.push_back([v](StmtLease& st, int i) { st.BindInt(i, v); });
        break;
      }
      case FieldType::kBoolean: {
        if (eq.value != "true" && eq.value != "false") {
          return Status::InvalidArgument("filter field \"" + name + "\": not true or false");
        }
        int64_t v = eq.value == "true" ? 1 : 0;
        binders.push_back([v](StmtLease& st, int i) { st.BindInt(i, v); });
        break;
      }
      case FieldType::kNumber: {
        char* end = nullptr;
        double v = std::strtod(eq.value.c_str(), &end);
        if (eq.value.empty() || end != eq.value.c_str() + eq.value.size()) {
          return Status::InvalidArgument("filter field \"" + name + "\": not a number");
        }
        binders.push_back([v](StmtLease& st, int i) { sqlite3_bind_double(st.get(), i, v); });
        break;
      }
      default: {
        // As stored: validated and canonical (list_filter.h).
        ASSIGN_OR_RETURN(std::string v, FilterEquals(*schema, *f, eq.value));
        binders.push_back([v = std::move(v)](StmtLease& st, int i) { st.BindText(i, v); });
      }
    }
  }
  for (const ListQuery::Range& r : query.ranges) {
    std::string expr;
    bool micros = false;
    if (r.field == "created_at" || r.field == "updated_at") {
      expr = r.field;
      micros = true;
    } else {
      const FieldSpec* f = schema->FindField(r.field);
      if (f == nullptr || (f->type != FieldType::kDate && f->type != FieldType::kDateTime)) {
        return Status::InvalidArgument("range field \"" + PrintableName(r.field) +
                                       "\" is not a date field of " + std::string(entity));
      }
      expr = field_expr(f->name);
    }
    for (int side = 0; side < 2; ++side) {
      const std::optional<std::string>& bound = side == 0 ? r.from : r.to;
      if (!bound) continue;
      sql += " AND " + expr + (side == 0 ? " >= ?" : " <= ?");
      if (micros) {
        ASSIGN_OR_RETURN(int64_t v, FilterTimeBound(r.field, *bound, side == 1));
        binders.push_back([v](StmtLease& st, int i) { st.BindInt(i, v); });
      } else {
        // Dates compare as text ("YYYY-MM-DD" sorts by day); date-times
        // compare as text too, which is exact for one offset (use Z).
        ASSIGN_OR_RETURN(std::string v,
                         FilterDateBound(*schema->FindField(r.field), *bound, side == 1));
        binders.push_back([v = std::move(v)](StmtLease& st, int i) { st.BindText(i, v); });
      }
    }
  }
  sql += " ORDER BY id LIMIT ?";
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  ASSIGN_OR_RETURN(StmtLease st, conn->PrepareOnce(sql));
  st.BindTextStatic(1, entity);
  st.BindTextStatic(2, after);
  int index = 3;
  for (const Binder& b : binders) b(st, index++);
  st.BindInt(index, static_cast<int64_t>(query.limit) + 1);
  ListPage page;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step("list records"));
    if (!row) break;
    if (page.records.size() == query.limit) {
      page.next_cursor = EncodeCursor(page.records.back().id);
      break;
    }
    page.records.push_back(RowToRecord(st));
  }
  return page;
}

Result<std::optional<Key256>> SqliteStore::ReaderSubjectKey(Connection& conn,
                                                            std::string_view subject_id) {
  if (auto cached = keystore_->CachedKey(subject_id)) return cached;
  ASSIGN_OR_RETURN(StmtLease st,
                   conn.Prepare("SELECT wrapped_key FROM subjects WHERE subject_id = ?"));
  st.BindTextStatic(1, subject_id);
  ASSIGN_OR_RETURN(bool row, st.Step("read subject key"));
  if (!row || st.ColumnIsNull(0)) return std::optional<Key256>();
  ASSIGN_OR_RETURN(Key256 key, keystore_->UnwrapSubjectKey(subject_id, st.ColumnBlob(0)));
  keystore_->RememberKey(subject_id, key);
  // Re-read through the cache: if the key was destroyed meanwhile, the
  // keystore refused it and the payload counts as erased.
  return keystore_->CachedKey(subject_id);
}

Result<std::vector<HistoryEntry>> SqliteStore::OpenHistory(Connection& conn,
                                                           std::vector<JournalEntry> entries) {
  std::vector<HistoryEntry> out;
  out.reserve(entries.size());
  for (JournalEntry& e : entries) {
    HistoryEntry h;
    auto leaf = DecodeLeaf(e.leaf);
    if (!leaf.ok()) return leaf.status().WithContext("journal seq " + std::to_string(e.seq));
    h.leaf = std::move(leaf).value();
    ASSIGN_OR_RETURN(std::optional<Key256> key, ReaderSubjectKey(conn, e.subject_id));
    if (key) {
      auto p = OpenPayload(*key, e.seq, e.leaf_hash, e.payload);
      if (!p.ok()) return p.status().WithContext("journal seq " + std::to_string(e.seq));
      h.payload = std::move(p).value();
    }
    h.entry = std::move(e);
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::vector<HistoryEntry>> SqliteStore::History(std::string_view entity, std::string_view id,
                                                       const HistoryQuery& query) {
  if (entity.empty() || !IsValidRecordId(id)) return std::vector<HistoryEntry>();
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  std::vector<JournalEntry> entries;
  {
    // journal_record ends with seq: a page is read in order from the index,
    // no sort, only the page's rows.
    ASSIGN_OR_RETURN(StmtLease st, conn->Prepare(std::string("SELECT ") + kJournalColumns +
                                                 " FROM journal WHERE entity = ?1 AND"
                                                 " record_id = ?2 AND seq > ?3"
                                                 " ORDER BY seq LIMIT ?4"));
    st.BindTextStatic(1, entity);
    st.BindTextStatic(2, id);
    st.BindInt(3, static_cast<int64_t>(std::min<uint64_t>(query.after_seq, INT64_MAX)));
    st.BindInt(
        4, query.limit == 0 ? -1 : static_cast<int64_t>(std::min<size_t>(query.limit, INT64_MAX)));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Step("read journal"));
      if (!row) break;
      ASSIGN_OR_RETURN(JournalEntry e, RowToEntry(st));
      entries.push_back(std::move(e));
    }
  }
  return OpenHistory(*conn, std::move(entries));
}

Result<uint64_t> ReadSubjectIndexEnd(Connection& conn) {
  ASSIGN_OR_RETURN(StmtLease st, conn.Prepare("SELECT through_seq FROM journal_subject_indexed"
                                              " WHERE only = 1"));
  ASSIGN_OR_RETURN(bool row, st.Step("read subject index end"));
  if (!row) return Status::Corruption("records.db: journal_subject_indexed has no row");
  return static_cast<uint64_t>(st.ColumnInt(0));
}

void AppendToRun(std::string& run, uint64_t seq) {
  if (!run.empty()) run += ',';
  run += std::to_string(seq);
}

Status ParseRun(std::string_view run, uint64_t after, uint64_t through,
                std::vector<uint64_t>& out) {
  const size_t first = out.size();
  while (!run.empty()) {
    const size_t comma = run.find(',');
    const std::string_view item = run.substr(0, comma);
    uint64_t seq = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), seq);
    if (ec != std::errc() || end != item.data() + item.size() || seq > through) {
      return Status::Corruption("records.db: a run of the subject index is malformed");
    }
    if (seq > after) out.push_back(seq);
    run = comma == std::string_view::npos ? std::string_view() : run.substr(comma + 1);
  }
  // Ascending as written; sorted all the same, so that a damaged run cannot
  // put a history out of order.
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end());
  return Status::OK();
}

Result<std::vector<HistoryEntry>> SqliteStore::SubjectHistory(std::string_view subject_id,
                                                              const HistoryQuery& query) {
  if (subject_id.empty()) return std::vector<HistoryEntry>();
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  // One read transaction, so that the runs and the journal's newer rows are
  // read as of one moment: a batch committed in between would otherwise be
  // read twice or not at all.
  RETURN_IF_ERROR(conn->ExecCached("BEGIN", "begin read"));
  struct EndRead {
    Connection& c;
    ~EndRead() { (void)c.ExecCached("COMMIT", "end read"); }
  } end_read{*conn};
  const uint64_t after = query.after_seq;
  const size_t limit = query.limit == 0 ? SIZE_MAX : query.limit;
  ASSIGN_OR_RETURN(const uint64_t through, ReadSubjectIndexEnd(*conn));
  // The runs (migration 0007) hold disjoint, ascending stretches of seqs up
  // to `through`; read them in order until the page is full.
  std::vector<uint64_t> seqs;
  {
    ASSIGN_OR_RETURN(StmtLease st, conn->Prepare("SELECT seqs FROM journal_subject_runs"
                                                 " WHERE subject_id = ?1 AND last_seq > ?2"
                                                 " ORDER BY last_seq"));
    st.BindTextStatic(1, subject_id);
    st.BindInt(2, static_cast<int64_t>(std::min<uint64_t>(after, INT64_MAX)));
    while (seqs.size() < limit) {
      ASSIGN_OR_RETURN(bool row, st.Step("read subject runs"));
      if (!row) break;
      RETURN_IF_ERROR(ParseRun(st.ColumnText(0), after, through, seqs));
    }
  }
  if (seqs.size() > limit) seqs.resize(limit);
  if (seqs.size() < limit) {
    // The journal's rows after the index's end: a batch at most.
    ASSIGN_OR_RETURN(StmtLease st, conn->Prepare("SELECT seq FROM journal WHERE seq > ?1"
                                                 " AND subject_id = ?2 ORDER BY seq LIMIT ?3"));
    st.BindInt(1, static_cast<int64_t>(std::min<uint64_t>(std::max(after, through), INT64_MAX)));
    st.BindTextStatic(2, subject_id);
    st.BindInt(3, static_cast<int64_t>(std::min<size_t>(limit - seqs.size(), INT64_MAX)));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Step("read journal tail"));
      if (!row) break;
      seqs.push_back(static_cast<uint64_t>(st.ColumnInt(0)));
    }
  }
  std::vector<JournalEntry> entries;
  entries.reserve(seqs.size());
  ASSIGN_OR_RETURN(StmtLease st, conn->Prepare(std::string("SELECT ") + kJournalColumns +
                                               " FROM journal WHERE seq = ?"));
  for (uint64_t seq : seqs) {
    st.BindInt(1, static_cast<int64_t>(seq));
    ASSIGN_OR_RETURN(bool row, st.Step("read journal"));
    if (!row) {
      return Status::Corruption("records.db: the subject index names journal seq " +
                                std::to_string(seq) + ", which does not exist");
    }
    ASSIGN_OR_RETURN(JournalEntry e, RowToEntry(st));
    if (e.subject_id != subject_id) {
      return Status::Corruption("records.db: the subject index names journal seq " +
                                std::to_string(seq) + " for another subject");
    }
    entries.push_back(std::move(e));
    sqlite3_reset(st.get());
  }
  return OpenHistory(*conn, std::move(entries));
}

Status SqliteStore::ScanJournal(uint64_t from_seq, uint64_t to_seq,
                                const std::function<Status(const JournalEntry&)>& fn) {
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  ASSIGN_OR_RETURN(StmtLease st, conn->Prepare(std::string("SELECT ") + kJournalColumns +
                                               " FROM journal WHERE seq BETWEEN ? AND ?"
                                               " ORDER BY seq"));
  st.BindInt(1, static_cast<int64_t>(std::min<uint64_t>(from_seq, INT64_MAX)));
  st.BindInt(2, static_cast<int64_t>(std::min<uint64_t>(to_seq, INT64_MAX)));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step("read journal"));
    if (!row) return Status::OK();
    ASSIGN_OR_RETURN(JournalEntry e, RowToEntry(st));
    RETURN_IF_ERROR(fn(e));
  }
}

Result<std::vector<JournalEntry>> SqliteStore::ReadJournal(uint64_t from_seq, uint64_t to_seq) {
  std::vector<JournalEntry> out;
  RETURN_IF_ERROR(ScanJournal(from_seq, to_seq, [&](const JournalEntry& e) {
    out.push_back(e);
    return Status::OK();
  }));
  return out;
}

Status SqliteStore::ReadLeafHashes(uint64_t from_seq, uint64_t to_seq,
                                   const std::function<void(uint64_t, const Hash256&)>& fn) {
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  ASSIGN_OR_RETURN(StmtLease st, conn->Prepare("SELECT seq, leaf_hash FROM journal"
                                               " WHERE seq BETWEEN ? AND ? ORDER BY seq"));
  st.BindInt(1, static_cast<int64_t>(std::min<uint64_t>(from_seq, INT64_MAX)));
  st.BindInt(2, static_cast<int64_t>(std::min<uint64_t>(to_seq, INT64_MAX)));
  Hash256 h;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step("read leaf hashes"));
    if (!row) return Status::OK();
    ByteView b = st.ColumnBlob(1);
    uint64_t seq = static_cast<uint64_t>(st.ColumnInt(0));
    if (b.size() != 32) {
      return Status::Corruption("journal seq " + std::to_string(seq) +
                                ": stored leaf hash is not 32 bytes");
    }
    std::copy(b.begin(), b.end(), h.begin());
    fn(seq, h);
  }
}

Status SqliteStore::ScanRecords(const std::function<Status(const Record&)>& fn) {
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  ASSIGN_OR_RETURN(StmtLease st, conn->Prepare(std::string("SELECT ") + kRecordColumns +
                                               " FROM records ORDER BY entity, id"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step("read records"));
    if (!row) return Status::OK();
    RETURN_IF_ERROR(fn(RowToRecord(st)));
  }
}

Result<Payload> SqliteStore::DecryptPayload(const JournalEntry& entry) {
  ASSIGN_OR_RETURN(ReaderPool::Lease conn, readers_.Acquire());
  ASSIGN_OR_RETURN(std::optional<Key256> key, ReaderSubjectKey(*conn, entry.subject_id));
  if (!key) return Status::NotFound("the subject's key was destroyed");
  return OpenPayload(*key, entry.seq, entry.leaf_hash, entry.payload);
}

}  // namespace custos::records
