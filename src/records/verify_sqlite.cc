#include "records/verify_sqlite.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/fs.h"
#include "records/keystore.h"
#include "records/sqlite_db.h"
#include "records/verify_checker.h"
#include "records/verify_crypto.h"
#include "records/verify_pipeline.h"
#include "records/verify_vfs.h"

namespace custos::records {
namespace {

constexpr size_t kBatchEntries = 1024;
constexpr size_t kBatchBytes = 4 << 20;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Subject keys as stored (nullopt: destroyed), read once in the snapshot.
using WrappedKeys = StringMap<std::optional<Bytes>>;

// A piece of a batch's arena.
struct Piece {
  size_t offset = 0;
  size_t size = 0;
};

// Copies column `col` of the current row (blob or text bytes) to the arena.
void AppendColumn(std::string& arena, Piece& p, sqlite3_stmt* st, int col) {
  const void* data = sqlite3_column_blob(st, col);
  p.offset = arena.size();
  p.size = data ? static_cast<size_t>(sqlite3_column_bytes(st, col)) : 0;
  arena.append(static_cast<const char*>(data), p.size);
}
std::string_view View(const std::string& arena, Piece p) {
  return std::string_view(arena).substr(p.offset, p.size);
}

// The verifier's own connection: read-only (query_only, as the store's
// readers), through the read-ahead VFS (verify_vfs.h) when it registered.
class ScanConnection {
 public:
  static Result<std::unique_ptr<ScanConnection>> Open(const std::string& path) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             ReadAheadVfs());
    std::unique_ptr<ScanConnection> conn(new ScanConnection(db));
    if (rc != SQLITE_OK) return SqliteStatus(rc, db, "open database");
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 10000);
    RETURN_IF_ERROR(conn->Exec("PRAGMA query_only=ON", "set query_only"));
    return conn;
  }
  ~ScanConnection() { sqlite3_close_v2(db_); }
  ScanConnection(const ScanConnection&) = delete;
  ScanConnection& operator=(const ScanConnection&) = delete;

  Status Exec(const char* sql, std::string_view what) {
    return SqliteStatus(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), db_, what);
  }
  // A statement finalized when its lease ends.
  Result<StmtLease> PrepareOnce(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "prepare statement");
    return StmtLease(stmt, db_, true);
  }
  sqlite3* handle() const { return db_; }
  void SetReadAhead(bool on) {
    int arg = on ? 1 : 0;
    sqlite3_file_control(db_, "main", kReadAheadControl, &arg);  // unknown without the VFS: fine
  }

 private:
  explicit ScanConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// One worker's view of the subjects: pseudonyms and payload keys, each
// computed once per subject.
class SubjectCache {
 public:
  struct Info {
    Pseudonym pseudonym{};
    bool key_tried = false;
    Status key_status;  // OK, NotFound (destroyed or unknown), or the unwrap error
    std::unique_ptr<EntryKeys> keys;
  };

  SubjectCache(const Keystore& keystore, const WrappedKeys& wrapped)
      : keystore_(keystore), wrapped_(wrapped) {}

  Info& Get(std::string_view id) {
    if (last_ != nullptr && id == last_id_) return *last_;
    auto it = map_.find(id);
    if (it == map_.end()) {
      Info info;
      info.pseudonym = keystore_.SubjectPseudonym(id);
      it = map_.emplace(std::string(id), std::move(info)).first;
    }
    last_id_ = it->first;
    last_ = &it->second;
    return it->second;
  }

  // The subject's payload keys, or nullptr with `status` NotFound (key
  // destroyed) or the error unwrapping it.
  const EntryKeys* Keys(Info& info, std::string_view id, Status& status) {
    if (!info.key_tried) {
      info.key_tried = true;
      auto w = wrapped_.find(id);
      if (w == wrapped_.end() || !w->second) {
        info.key_status = Status::NotFound("the subject's key was destroyed");
      } else {
        auto key = keystore_.UnwrapSubjectKey(id, *w->second);
        if (key.ok()) {
          info.keys = std::make_unique<EntryKeys>(*key);
          SecureWipe(key->data(), key->size());
        } else {
          info.key_status = key.status();
        }
      }
    }
    status = info.key_status;
    return info.keys.get();
  }

 private:
  const Keystore& keystore_;
  const WrappedKeys& wrapped_;
  StringMap<Info> map_;
  std::string_view last_id_;  // a key of map_ (node-based: stable)
  Info* last_ = nullptr;
};

struct Worker {
  Worker(const Keystore& keystore, const WrappedKeys& wrapped) : subjects(keystore, wrapped) {}
  SubjectCache subjects;
  PayloadCipher cipher;
  Bytes plain;
  std::string storage;
};

// ---- journal ---------------------------------------------------------------

struct RawEntry {
  uint64_t seq = 0;
  Piece leaf, payload, subject, entity, record_id;
};

struct JournalBatch {
  std::vector<RawEntry> raw;
  std::vector<Hash256> hashes;  // stored leaf hashes, one per raw entry
  std::string arena;
  // Set when the stored hash of raw[bad_hash] is not 32 bytes: the batch
  // ends there, and so does the journal as far as this check goes.
  std::optional<size_t> bad_hash;
  std::vector<EntryFacts> facts;
};

class JournalVerifier {
 public:
  JournalVerifier(JournalChecker& checker, std::vector<std::unique_ptr<Worker>>& workers,
                  const SqliteVerifyOptions& options, SqliteVerifyResult& result)
      : checker_(checker), workers_(workers), options_(options), result_(result) {}

  Status Run(ScanConnection& conn, uint64_t last_seq) {
    ASSIGN_OR_RETURN(StmtLease st,
                     conn.PrepareOnce("SELECT seq, leaf, leaf_hash, payload, subject_id, entity,"
                                      " record_id FROM journal WHERE seq BETWEEN 1 AND ?"
                                      " ORDER BY seq"));
    st.BindInt(1, static_cast<int64_t>(std::min<uint64_t>(last_seq, INT64_MAX)));
    stmt_ = st.get();
    db_ = conn.handle();
    return RunOrderedPipeline<JournalBatch>(
        workers_.size() + 2, workers_.size(), [&](JournalBatch& b) { return Produce(b); },
        [&](JournalBatch& b, size_t w) { Process(b, *workers_[w]); },
        [&](JournalBatch& b) { Consume(b); });
  }

 private:
  Result<bool> Produce(JournalBatch& b) {
    b.raw.clear();
    b.hashes.clear();
    b.arena.clear();
    b.bad_hash.reset();
    while (!done_ && b.raw.size() < kBatchEntries && b.arena.size() < kBatchBytes) {
      int rc = sqlite3_step(stmt_);
      if (rc == SQLITE_DONE) {
        done_ = true;
        break;
      }
      if (rc != SQLITE_ROW) return SqliteStatus(rc, db_, "read journal");
      RawEntry& e = b.raw.emplace_back();
      e.seq = static_cast<uint64_t>(sqlite3_column_int64(stmt_, 0));
      AppendColumn(b.arena, e.leaf, stmt_, 1);
      AppendColumn(b.arena, e.payload, stmt_, 3);
      AppendColumn(b.arena, e.subject, stmt_, 4);
      AppendColumn(b.arena, e.entity, stmt_, 5);
      AppendColumn(b.arena, e.record_id, stmt_, 6);
      Hash256& h = b.hashes.emplace_back();
      const void* hash = sqlite3_column_blob(stmt_, 2);
      if (sqlite3_column_bytes(stmt_, 2) != 32 || hash == nullptr) {
        b.bad_hash = b.raw.size() - 1;
        done_ = true;
        break;
      }
      std::memcpy(h.data(), hash, 32);
    }
    return !b.raw.empty();
  }

  void Process(JournalBatch& b, Worker& w) {
    const size_t n = b.bad_hash.value_or(b.raw.size());
    b.facts.resize(b.raw.size());
    if (stop_.load(std::memory_order_relaxed)) return;  // a problem was found: only hashes matter
    for (size_t i = 0; i < n; ++i) {
      const RawEntry& r = b.raw[i];
      EntryFacts& f = b.facts[i];
      f = EntryFacts();
      const std::string_view subject = View(b.arena, r.subject);
      SubjectCache::Info& info = w.subjects.Get(subject);
      const EntryColumns in{r.seq, AsBytes(View(b.arena, r.leaf)), b.hashes[i],
                            View(b.arena, r.entity), View(b.arena, r.record_id)};
      if (!CheckLeafAlone(in, info.pseudonym, checker_.keys(), f)) continue;
      Status opened;
      PayloadImages images;
      if (const EntryKeys* keys = w.subjects.Keys(info, subject, opened)) {
        opened =
            w.cipher.Open(*keys, r.seq, b.hashes[i], AsBytes(View(b.arena, r.payload)), w.plain);
        if (opened.ok()) opened = ParsePayloadImages(AsString(w.plain), w.storage, images);
      }
      CheckPayloadAlone(opened, images, f);
      SecureWipe(w.plain.data(), w.plain.size());
      SecureWipe(w.storage.data(), w.storage.size());
    }
  }

  void Consume(JournalBatch& b) {
    const size_t n = b.bad_hash.value_or(b.raw.size());
    if (result_.problem.ok() && !stop_.load(std::memory_order_relaxed)) {
      for (size_t i = 0; i < n; ++i) {
        Status st = checker_.Add(b.facts[i]);
        if (!st.ok()) {
          result_.problem = st;
          stop_.store(true, std::memory_order_relaxed);
          break;
        }
      }
    }
    if (b.bad_hash) {
      Status bad = Status::Corruption("journal seq " + std::to_string(b.raw[*b.bad_hash].seq) +
                                      ": stored leaf hash is not 32 bytes");
      if (result_.problem.ok()) result_.problem = bad;
      result_.leaf_hashes = bad;
      stop_.store(true, std::memory_order_relaxed);
    }
    if (options_.on_leaf_hashes && n > 0) {
      options_.on_leaf_hashes(std::span<const Hash256>(b.hashes.data(), n));
    }
  }

  JournalChecker& checker_;
  std::vector<std::unique_ptr<Worker>>& workers_;
  const SqliteVerifyOptions& options_;
  SqliteVerifyResult& result_;
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  bool done_ = false;              // producer thread only
  std::atomic<bool> stop_{false};  // set by the consumer at the first problem
};

// ---- rows ------------------------------------------------------------------

struct RawRow {
  Piece entity, id, subject, data;
  uint64_t version = 0;
};

struct RowBatch {
  std::vector<RawRow> raw;
  std::string arena;
  // The batch's first failing row in (entity, id) order.
  std::optional<size_t> failed;
  Status failure;
};

// Sets `problem` to the first failing row in (entity, id) order; errors only
// when the rows cannot be read.
Status VerifyRows(ScanConnection& conn, const JournalChecker& checker,
                  std::vector<std::unique_ptr<Worker>>& workers, Status& problem) {
  // The rows fill a small part of the file, in pages spread all over it:
  // read-ahead would read the whole file for them.
  conn.SetReadAhead(false);
  ASSIGN_OR_RETURN(StmtLease st,
                   conn.PrepareOnce("SELECT entity, id, version, subject_id, data FROM records"));
  sqlite3_stmt* stmt = st.get();
  bool done = false;
  std::string first_entity, first_id;
  Status first;
  auto produce = [&](RowBatch& b) -> Result<bool> {
    b.raw.clear();
    b.arena.clear();
    b.failed.reset();
    while (!done && b.raw.size() < kBatchEntries && b.arena.size() < kBatchBytes) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) {
        done = true;
        break;
      }
      if (rc != SQLITE_ROW) return SqliteStatus(rc, conn.handle(), "read records");
      RawRow& r = b.raw.emplace_back();
      AppendColumn(b.arena, r.entity, stmt, 0);
      AppendColumn(b.arena, r.id, stmt, 1);
      r.version = static_cast<uint64_t>(sqlite3_column_int64(stmt, 2));
      AppendColumn(b.arena, r.subject, stmt, 3);
      AppendColumn(b.arena, r.data, stmt, 4);
    }
    return !b.raw.empty();
  };
  auto process = [&](RowBatch& b, size_t w) {
    for (size_t i = 0; i < b.raw.size(); ++i) {
      const RawRow& r = b.raw[i];
      const std::string_view entity = View(b.arena, r.entity), id = View(b.arena, r.id);
      Status row = checker.CheckRow(entity, id, r.version,
                                    workers[w]->subjects.Get(View(b.arena, r.subject)).pseudonym,
                                    View(b.arena, r.data));
      if (row.ok()) continue;
      if (b.failed) {
        const RawRow& f = b.raw[*b.failed];
        if (!RecordKeyLess(entity, id, View(b.arena, f.entity), View(b.arena, f.id))) continue;
      }
      b.failed = i;
      b.failure = row;
    }
  };
  auto consume = [&](RowBatch& b) {
    if (!b.failed) return;
    const RawRow& f = b.raw[*b.failed];
    const std::string_view entity = View(b.arena, f.entity), id = View(b.arena, f.id);
    if (first.ok() || RecordKeyLess(entity, id, first_entity, first_id)) {
      first = b.failure;
      first_entity = entity;
      first_id = id;
    }
  };
  RETURN_IF_ERROR(
      RunOrderedPipeline<RowBatch>(workers.size() + 2, workers.size(), produce, process, consume));
  problem = first;
  return Status::OK();
}

}  // namespace

Result<SqliteVerifyResult> VerifySqliteDataDir(const std::string& data_dir, uint64_t min_last_seq,
                                               const SqliteVerifyOptions& options) {
  const std::string db_path = JoinPath(data_dir, "records.db");
  if (!PathExists(db_path)) return Status::NotFound(data_dir + " has no records.db");
  if (!PathExists(JoinPath(JoinPath(data_dir, "keys"), "master.key"))) {
    return Status::NotFound(data_dir + " has no keys/master.key");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Keystore> keystore, Keystore::OpenOrCreate(data_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<ScanConnection> conn, ScanConnection::Open(db_path));
  // One read transaction: the journal, the keys and the rows of one state.
  RETURN_IF_ERROR(conn->Exec("BEGIN", "begin read transaction"));

  SqliteVerifyResult result;
  {
    ASSIGN_OR_RETURN(StmtLease st, conn->PrepareOnce("SELECT MAX(seq) FROM journal"));
    ASSIGN_OR_RETURN(bool row, st.Step("read journal"));
    const uint64_t max_seq = row ? static_cast<uint64_t>(std::max<int64_t>(st.ColumnInt(0), 0)) : 0;
    result.last_seq = std::max(max_seq, min_last_seq);
  }
  WrappedKeys wrapped;
  {
    ASSIGN_OR_RETURN(StmtLease st,
                     conn->PrepareOnce("SELECT subject_id, wrapped_key FROM subjects"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st.Step("read subjects"));
      if (!row) break;
      std::optional<Bytes> key;
      if (!st.ColumnIsNull(1)) {
        ByteView b = st.ColumnBlob(1);
        key.emplace(b.begin(), b.end());
      }
      wrapped.emplace(std::string(st.ColumnText(0)), std::move(key));
    }
  }

  size_t threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<Worker>> workers;
  for (size_t i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(*keystore, wrapped));
  }

  // Every record has at least one entry: at most last_seq records (the
  // table grows past the cap if need be).
  JournalChecker checker(static_cast<size_t>(std::min<uint64_t>(result.last_seq, 1u << 22)));
  JournalVerifier journal(checker, workers, options, result);
  RETURN_IF_ERROR(journal.Run(*conn, result.last_seq));
  if (result.problem.ok()) result.problem = checker.End(result.last_seq);
  if (result.problem.ok()) {
    RETURN_IF_ERROR(VerifyRows(*conn, checker, workers, result.problem));
    if (result.problem.ok()) {
      ASSIGN_OR_RETURN(StmtLease st,
                       conn->PrepareOnce("SELECT entity, record_id FROM journal WHERE seq = ?"));
      result.problem =
          checker.FirstMissingRow([&](uint64_t seq) -> Result<std::pair<std::string, std::string>> {
            sqlite3_reset(st.get());
            st.BindInt(1, static_cast<int64_t>(seq));
            ASSIGN_OR_RETURN(bool row, st.Step("read journal"));
            if (!row) return Status::Internal("journal entry vanished inside a read transaction");
            return std::make_pair(std::string(st.ColumnText(0)), std::string(st.ColumnText(1)));
          });
      if (!result.problem.ok() && !result.problem.IsCorruption()) return result.problem;
    }
  }
  for (auto& [id, key] : wrapped) {
    if (key) SecureWipe(key->data(), key->size());
  }
  RETURN_IF_ERROR(conn->Exec("COMMIT", "end read transaction"));
  return result;
}

}  // namespace custos::records
