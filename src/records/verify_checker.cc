#include "records/verify_checker.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "base/random.h"
#include "crypto/aead.h"
#include "records/verify_crypto.h"
#include "records/verify_leaf.h"
#include "records/verify_memory.h"
#include "records/verify_siphash.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older C libraries lack the name
#endif

namespace custos::records {
namespace {

Status EntryError(uint64_t seq, const std::string& what) {
  return Status::Corruption("journal seq " + std::to_string(seq) + ": " + what);
}
Status RowError(std::string_view entity, std::string_view id, const std::string& what) {
  return Status::Corruption("record " + std::string(entity) + "/" + std::string(id) + ": " + what);
}

bool IsRecordEvent(EventType event, std::string_view entity) {
  switch (event) {
    case EventType::kCreate:
    case EventType::kImport:
    case EventType::kUpdate:
    case EventType::kDelete:
      return true;
    case EventType::kErase:
      return entity != "subject";
    default:
      return false;
  }
}

// What the journal says about one (entity, record id).
struct RecordState {
  RecordKey key{};
  Hash256 last_hash{};
  ImageDigest after_digest{};  // of the latest after-image (when `known`)
  Pseudonym subject{};
  uint64_t last_seq = 0;
  uint64_t version = 0;
  bool is_record = false;  // a create/import entry has been seen
  bool live = false;
  bool known = false;    // the latest entry's payload could be decrypted
  uint8_t seen_row = 0;  // CheckRow accepted its row (stage 3, atomic access)
};

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// RecordKey -> RecordState: open addressing over indices into states kept
// in creation order (which the journal and the row table tend to follow),
// in chunks that never move.
class RecordTable {
 public:
  explicit RecordTable(size_t expected_records) {
    slot_count_ = 1024;
    while (slot_count_ < expected_records * 2) slot_count_ *= 2;
    slots_ = std::make_unique<Mapped>(slot_count_ * sizeof(uint64_t));
  }
  ~RecordTable() {
    if (prefault_.joinable()) prefault_.join();
  }

  // Maps the states of `records` records now and has a thread fault in
  // their memory and the slots' (zeroed by the kernel on first touch, which
  // on a virtual machine can cost more than the checks) while the lanes
  // start, so that the in-order thread does not stall on it. A hint: does
  // nothing more where the kernel lacks MADV_POPULATE_WRITE (Linux 5.14).
  void Prefault(size_t records) {
    if (prefault_.joinable() || size_ != 0) return;
    // No more than the slots were sized for (the journal's length, capped):
    // a hint from a damaged file must not map memory beyond that.
    records = std::min(records, slot_count_ / 2);
    std::vector<std::pair<uint8_t*, size_t>> regions{{slots_->data(), slots_->size()}};
    try {
      while (chunks_.size() * kStatesPerChunk < records) {
        chunks_.push_back(std::make_unique<Mapped>(kStatesPerChunk * sizeof(RecordState)));
        regions.emplace_back(chunks_.back()->data(), chunks_.back()->size());
      }
    } catch (const std::bad_alloc&) {
      // Mapped as far as the memory went; the rest is mapped as it is used.
    }
    try {
      prefault_ = std::thread([regions = std::move(regions)] {
        for (const auto& [p, n] : regions) {
          if (madvise(p, n, MADV_POPULATE_WRITE) != 0) return;
        }
      });
    } catch (const std::system_error&) {
      // No thread: the memory is faulted in as it is used.
    }
  }

  RecordState* Find(const RecordKey& key) const {
    const uint64_t* slots = Slots();
    const uint64_t tag = Tag(key);
    const size_t mask = slot_count_ - 1;
    for (size_t i = Home(key) & mask;; i = (i + 1) & mask) {
      const uint64_t slot = slots[i];
      if (slot == 0) return nullptr;
      if ((slot >> 32) == tag) {
        RecordState& s = State((slot & 0xffffffff) - 1);
        if (s.key == key) return &s;
      }
    }
  }

  // Starts loading the memory Find(key) reads first.
  void Prefetch(const RecordKey& key) const {
    __builtin_prefetch(&Slots()[Home(key) & (slot_count_ - 1)]);
  }

  RecordState& FindOrAdd(const RecordKey& key) {
    if (RecordState* s = Find(key)) return *s;
    if ((size_ + 1) * 2 > slot_count_) Grow();
    if (size_ == chunks_.size() * kStatesPerChunk) {
      chunks_.push_back(std::make_unique<Mapped>(kStatesPerChunk * sizeof(RecordState)));
    }
    RecordState& s = *new (&State(size_)) RecordState();
    s.key = key;
    Insert(key, ++size_);
    return s;
  }

  size_t Size() const { return size_; }
  RecordState& State(size_t i) const {
    return reinterpret_cast<RecordState*>(
        chunks_[i / kStatesPerChunk]->data())[i % kStatesPerChunk];
  }

 private:
  static constexpr size_t kStatesPerChunk = Mapped::kHuge / sizeof(RecordState);

  static uint64_t Tag(const RecordKey& k) { return Load64(k.data()) >> 32; }
  static uint64_t Home(const RecordKey& k) { return Load64(k.data() + 8); }
  uint64_t* Slots() const { return reinterpret_cast<uint64_t*>(slots_->data()); }

  void Insert(const RecordKey& key, size_t index_plus_one) {
    uint64_t* slots = Slots();
    const size_t mask = slot_count_ - 1;
    size_t i = Home(key) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = Tag(key) << 32 | index_plus_one;
  }
  void Grow() {
    if (prefault_.joinable()) prefault_.join();  // it may still be at the old slots
    slot_count_ *= 2;
    slots_ = std::make_unique<Mapped>(slot_count_ * sizeof(uint64_t));
    for (size_t i = 0; i < size_; ++i) Insert(State(i).key, i + 1);
  }

  std::thread prefault_;           // see Prefault; joined before the memory goes
  std::unique_ptr<Mapped> slots_;  // tag << 32 | (index + 1); 0 is empty
  size_t slot_count_ = 0;          // a power of two
  size_t size_ = 0;
  std::vector<std::unique_ptr<Mapped>> chunks_;
};

}  // namespace

RecordKeys::RecordKeys() {
  RandomFill(record_key_);
  RandomFill(image_key_);
  RandomFill(row_key_);
}

namespace {

// RecordKeys::Of's message: the entity's length (8 bytes), the entity and
// the record id, so that no two (entity, id) pairs share one.
size_t KeyMessageSize(std::string_view entity, std::string_view record_id) {
  return 8 + entity.size() + record_id.size();
}
void WriteKeyMessage(std::string_view entity, std::string_view record_id, uint8_t* p) {
  const uint64_t n = entity.size();
  std::memcpy(p, &n, 8);
  if (!entity.empty()) std::memcpy(p + 8, entity.data(), entity.size());
  if (!record_id.empty()) std::memcpy(p + 8 + entity.size(), record_id.data(), record_id.size());
}

// RowSet's term message: the facts of a row, in a fixed layout.
constexpr size_t kRowMessage = sizeof(RecordKey) + sizeof(ImageDigest) + kPseudonymSize + 8;

void RowMessage(const RowFacts& row, uint8_t* buf) {
  uint8_t* p = buf;
  for (const auto* part : {&row.key, &row.data, &row.subject}) {
    std::memcpy(p, part->data(), part->size());
    p += part->size();
  }
  std::memcpy(p, &row.version, 8);
}

}  // namespace

RecordKey RecordKeys::Of(std::string_view entity, std::string_view record_id) const {
  const size_t size = KeyMessageSize(entity, record_id);
  uint8_t buf[8 + 256];
  std::vector<uint8_t> long_input;
  uint8_t* p = buf;
  if (size > sizeof(buf)) {
    long_input.resize(size);
    p = long_input.data();
  }
  WriteKeyMessage(entity, record_id, p);
  RecordKey out;
  crypto_shorthash_siphashx24(out.data(), p, size, record_key_.data());
  return out;
}

void RecordKeys::RowTerms(const RowFacts* rows, size_t n, std::array<uint64_t, 2>* out) const {
  constexpr size_t kAtOnce = 32;
  uint8_t buf[kAtOnce][kRowMessage];
  SipInput in[kAtOnce];
  SipDigest digest[kAtOnce];
  for (size_t done = 0; done < n; done += kAtOnce) {
    const size_t m = std::min(kAtOnce, n - done);
    for (size_t i = 0; i < m; ++i) {
      RowMessage(rows[done + i], buf[i]);
      in[i] = {buf[i], kRowMessage};
    }
    SipHashX24Many(row_key_.data(), in, m, digest);
    for (size_t i = 0; i < m; ++i) std::memcpy(out[done + i].data(), digest[i].data(), 16);
  }
}

void RowSet::AddAll(const RecordKeys& keys, const RowFacts* rows, size_t n) {
  constexpr size_t kAtOnce = 64;
  std::array<uint64_t, 2> terms[kAtOnce];
  for (size_t done = 0; done < n; done += kAtOnce) {
    const size_t m = std::min(kAtOnce, n - done);
    keys.RowTerms(rows + done, m, terms);
    for (size_t i = 0; i < m; ++i) Add(terms[i]);
  }
}

PendingDigests::~PendingDigests() {
  for (Queue* q : {&keys_queue_, &images_queue_}) SecureWipe(q->bytes.get(), q->capacity);
}

uint8_t* PendingDigests::Queue::Append(size_t n) {
  if (size + n > capacity) {
    const size_t bigger = std::max({size_t{4096}, 2 * capacity, size + n});
    auto grown = std::make_unique<uint8_t[]>(bigger);
    if (size > 0) std::memcpy(grown.get(), bytes.get(), size);
    SecureWipe(bytes.get(), capacity);
    bytes = std::move(grown);
    capacity = bigger;
  }
  uint8_t* at = bytes.get() + size;
  size += n;
  return at;
}

void PendingDigests::Key(std::string_view entity, std::string_view record_id, RecordKey* out) {
  Queue& q = keys_queue_;
  const size_t size = KeyMessageSize(entity, record_id);
  uint8_t* p = q.Append(size);
  WriteKeyMessage(entity, record_id, p);
  q.jobs[q.count++] = {static_cast<size_t>(p - q.bytes.get()), size, out->data()};
  if (q.count == kBatch) Flush(q, keys_.record_key_.data());
}

void PendingDigests::Image(std::string_view text, ImageDigest* out) {
  Queue& q = images_queue_;
  uint8_t* p = q.Append(text.size());
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  q.jobs[q.count++] = {static_cast<size_t>(p - q.bytes.get()), text.size(), out->data()};
  if (q.count == kBatch) Flush(q, keys_.image_key_.data());
}

void PendingDigests::Run() {
  if (keys_queue_.count > 0) Flush(keys_queue_, keys_.record_key_.data());
  if (images_queue_.count > 0) Flush(images_queue_, keys_.image_key_.data());
}

void PendingDigests::Flush(Queue& q, const uint8_t* key) {
  SipInput in[kBatch];
  SipDigest digest[kBatch];
  for (size_t i = 0; i < q.count; ++i) in[i] = {q.bytes.get() + q.jobs[i].offset, q.jobs[i].size};
  SipHashX24Many(key, in, q.count, digest);
  for (size_t i = 0; i < q.count; ++i) std::memcpy(q.jobs[i].out, digest[i].data(), 16);
  SecureWipe(q.bytes.get(), q.size);
  q.size = 0;
  q.count = 0;
}

ImageDigest RecordKeys::Image(std::string_view text) const {
  ImageDigest out;
  crypto_shorthash_siphashx24(out.data(), reinterpret_cast<const uint8_t*>(text.data()),
                              text.size(), image_key_.data());
  return out;
}

bool RecordKeyLess(std::string_view entity_a, std::string_view id_a, std::string_view entity_b,
                   std::string_view id_b) {
  if (entity_a != entity_b) return entity_a < entity_b;
  return id_a < id_b;
}

bool CheckLeafAlone(const EntryColumns& in, const Pseudonym& column_subject, const RecordKeys& keys,
                    EntryFacts& f) {
  f.seq = in.seq;
  f.leaf_hash = in.leaf_hash;
  if (VerifyLeafHash(in.leaf) != in.leaf_hash) {
    f.problem = kStoredLeafHashProblem;
    return false;
  }
  return CheckLeafFields(in, column_subject, keys, f);
}

bool CheckLeafFields(const EntryColumns& in, const Pseudonym& column_subject,
                     const RecordKeys& keys, EntryFacts& f, PendingDigests* later) {
  f.seq = in.seq;
  f.leaf_hash = in.leaf_hash;
  LeafView leaf;
  std::optional<Leaf> decoded;  // only for leaves ReadLeafView rejects
  if (!ReadLeafView(in.leaf, leaf)) {
    auto d = DecodeLeaf(in.leaf);
    if (!d.ok()) {
      f.problem = d.status().message();
      return false;
    }
    decoded = std::move(d).value();
    leaf = ViewOf(*decoded);
  }
  if (leaf.seq != in.seq) {
    f.problem = "the leaf carries seq " + std::to_string(leaf.seq);
    return false;
  }
  if (leaf.entity != in.entity || leaf.record_id != in.record_id) {
    f.problem = "entity/record id columns do not match the leaf";
    return false;
  }
  if (std::memcmp(leaf.subject, column_subject.data(), kPseudonymSize) != 0) {
    f.problem = "subject column does not match the leaf's subject pseudonym";
    return false;
  }
  f.event = leaf.event;
  f.has_record_id = !leaf.record_id.empty();
  f.record_event = IsRecordEvent(leaf.event, leaf.entity);
  f.record_version = leaf.record_version;
  f.prev_seq = leaf.prev_seq;
  std::memcpy(f.prev_leaf_hash.data(), leaf.prev_leaf_hash, f.prev_leaf_hash.size());
  std::memcpy(f.commitment.data(), leaf.commitment, f.commitment.size());
  std::memcpy(f.subject.data(), leaf.subject, f.subject.size());
  if (f.has_record_id) {
    if (later != nullptr) {
      later->Key(leaf.entity, leaf.record_id, &f.key);
    } else {
      f.key = keys.Of(leaf.entity, leaf.record_id);
    }
  }
  return true;
}

void CheckPayloadAlone(const Status& opened, const PayloadImages& images, const RecordKeys& keys,
                       EntryFacts& f, const Hash256* commitment, PendingDigests* later) {
  f.opened = opened.ok();
  if (opened.ok()) {
    const Hash256 computed =
        commitment != nullptr
            ? *commitment
            : VerifyCommitment(images.salt, images.has_after ? images.after : std::string_view());
    if (computed != f.commitment) {
      f.problem = "the commitment does not match the payload";
      return;
    }
    f.has_before = images.has_before;
    f.has_after = images.has_after;
    if (f.record_event) {
      if (later != nullptr) {
        if (images.has_before) later->Image(images.before, &f.before_digest);
        if (images.has_after) later->Image(images.after, &f.after_digest);
      } else {
        if (images.has_before) f.before_digest = keys.Image(images.before);
        if (images.has_after) f.after_digest = keys.Image(images.after);
      }
    }
  } else if (!opened.IsNotFound()) {
    f.problem = "payload: " + opened.message();
    return;
  }
  if (!f.has_record_id && f.prev_seq != 0) {
    f.problem = "an entry without a record id has a link";
  }
}

struct JournalChecker::Impl {
  explicit Impl(size_t expected_records) : table(expected_records) {}
  RecordTable table;
  uint64_t expected = 1;
};

JournalChecker::JournalChecker(size_t expected_records)
    : impl_(std::make_unique<Impl>(expected_records)) {}
JournalChecker::~JournalChecker() = default;

void JournalChecker::Prefault(size_t records) { impl_->table.Prefault(records); }

Status JournalChecker::Add(const EntryFacts& f) {
  if (f.seq != impl_->expected) {
    return EntryError(f.seq,
                      "expected seq " + std::to_string(impl_->expected) + " (entries missing)");
  }
  ++impl_->expected;
  const uint64_t seq = f.seq;
  if (!f.problem.empty()) return EntryError(seq, f.problem);
  if (!f.has_record_id) return Status::OK();
  RecordState& st = impl_->table.FindOrAdd(f.key);
  if (f.prev_seq != st.last_seq || f.prev_leaf_hash != st.last_hash) {
    return EntryError(seq, "the link to the record's previous entry is wrong");
  }
  st.last_seq = seq;
  st.last_hash = f.leaf_hash;
  if (!f.record_event) return Status::OK();

  switch (f.event) {
    case EventType::kCreate:
    case EventType::kImport:
      if (st.is_record) return EntryError(seq, "creates a record that already existed");
      if (f.record_version != 1) return EntryError(seq, "a create must have version 1");
      if (f.opened && (f.has_before || !f.has_after)) {
        return EntryError(seq, "a create's payload must have an after-image only");
      }
      st.is_record = true;
      st.live = true;
      break;
    case EventType::kUpdate:
    case EventType::kDelete:
    case EventType::kErase: {
      if (!st.live) return EntryError(seq, "changes a record that does not exist");
      if (f.record_version != st.version + 1) {
        return EntryError(seq, "version " + std::to_string(f.record_version) + " does not follow " +
                                   std::to_string(st.version));
      }
      const bool removes = f.event != EventType::kUpdate;
      if (f.opened) {
        if (!f.has_before || f.has_after == removes) {
          return EntryError(seq, "the payload's before/after images do not fit the event");
        }
        if (st.known && f.before_digest != st.after_digest) {
          return EntryError(seq, "the before-image differs from the previous after-image");
        }
      }
      st.live = !removes;
      break;
    }
    default:
      break;
  }
  st.version = f.record_version;
  st.subject = f.subject;
  st.known = f.opened;
  if (f.opened && f.has_after) st.after_digest = f.after_digest;
  return Status::OK();
}

Status JournalChecker::End(uint64_t last_seq) {
  const uint64_t expected = impl_->expected;
  if (expected != last_seq + 1) {
    return EntryError(expected, "missing (the journal ends at " + std::to_string(expected - 1) +
                                    ", its last seq is " + std::to_string(last_seq) + ")");
  }
  return Status::OK();
}

Status JournalChecker::CheckRow(std::string_view entity, std::string_view id, uint64_t version,
                                const Pseudonym& subject, std::string_view data) const {
  RowFacts row;
  row.key = keys_.Of(entity, id);
  row.data = keys_.Image(data);
  row.subject = subject;
  row.version = version;
  if (AcceptRow(row)) return Status::OK();
  return RowProblem(entity, id, row);
}

void JournalChecker::Prefetch(const RecordKey& key) const { impl_->table.Prefetch(key); }

bool JournalChecker::AcceptRow(const RowFacts& row) const {
  RecordState* st = impl_->table.Find(row.key);
  if (st == nullptr || !st->is_record || !st->live || row.version != st->version ||
      row.subject != st->subject || !st->known || row.data != st->after_digest) {
    return false;
  }
  std::atomic_ref<uint8_t>(st->seen_row).store(1, std::memory_order_relaxed);
  return true;
}

Status JournalChecker::RowProblem(std::string_view entity, std::string_view id,
                                  const RowFacts& row) const {
  const RecordState* st = impl_->table.Find(row.key);
  if (st == nullptr || !st->is_record) return RowError(entity, id, "has no journal entry");
  if (!st->live) {
    return RowError(entity, id, "journal seq " + std::to_string(st->last_seq) + " deleted it");
  }
  if (row.version != st->version) {
    return RowError(entity, id,
                    "row version " + std::to_string(row.version) + " but journal version " +
                        std::to_string(st->version));
  }
  if (row.subject != st->subject) {
    return RowError(entity, id, "its subject differs from the journal's");
  }
  if (!st->known) return RowError(entity, id, "its latest journal payload cannot be decrypted");
  if (row.data != st->after_digest) {
    return RowError(entity, id, "data differs from the after-image of its latest journal entry");
  }
  // Not reached for a row AcceptRow rejected.
  return Status::Internal("record " + std::string(entity) + "/" + std::string(id) +
                          ": RowProblem called for an accepted row");
}

Status JournalChecker::FirstMissingRow(const EntryKeyFn& entry_key) const {
  const RecordTable& t = impl_->table;
  std::optional<std::pair<std::string, std::string>> first;
  uint64_t first_version = 0;
  for (size_t i = 0; i < t.Size(); ++i) {
    RecordState& st = t.State(i);
    if (!st.is_record || !st.live ||
        std::atomic_ref<uint8_t>(st.seen_row).load(std::memory_order_relaxed) != 0) {
      continue;
    }
    ASSIGN_OR_RETURN(auto key, entry_key(st.last_seq));
    if (!first || RecordKeyLess(key.first, key.second, first->first, first->second)) {
      first = std::move(key);
      first_version = st.version;
    }
  }
  if (!first) return Status::OK();
  return RowError(first->first, first->second,
                  "the journal says it exists at version " + std::to_string(first_version) +
                      ", but there is no row");
}

namespace {

// LiveRows over the states [begin, end); false when one of its live records
// is not known.
bool LiveRowsOf(const RecordTable& t, const RecordKeys& keys, size_t begin, size_t end,
                RowSet& rows) {
  constexpr size_t kAtOnce = 64;
  RowFacts batch[kAtOnce];
  size_t n = 0;
  for (size_t i = begin; i < end; ++i) {
    const RecordState& st = t.State(i);
    if (!st.is_record || !st.live) continue;
    if (!st.known) return false;
    RowFacts& row = batch[n++];
    row.key = st.key;
    row.data = st.after_digest;
    row.subject = st.subject;
    row.version = st.version;
    if (n == kAtOnce) {
      rows.AddAll(keys, batch, n);
      n = 0;
    }
  }
  rows.AddAll(keys, batch, n);
  return true;
}

}  // namespace

std::optional<RowSet> JournalChecker::LiveRows() const {
  // It runs when every other thread of the verifier is done: the records
  // are split over the cores (a sum does not depend on the order).
  const RecordTable& t = impl_->table;
  const size_t parts = t.Size() < (size_t{1} << 16)
                           ? 1
                           : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  std::vector<RowSet> sums(parts);
  std::vector<char> ok(parts, 0);
  auto part = [&](size_t p) {
    ok[p] = LiveRowsOf(t, keys_, t.Size() * p / parts, t.Size() * (p + 1) / parts, sums[p]);
  };
  std::vector<std::thread> helpers;
  for (size_t p = 1; p < parts; ++p) {
    try {
      helpers.emplace_back(part, p);
    } catch (const std::system_error&) {
      part(p);  // no thread to be had: on this one
    }
  }
  part(0);
  for (std::thread& h : helpers) h.join();
  RowSet rows;
  for (size_t p = 0; p < parts; ++p) {
    if (!ok[p]) return std::nullopt;
    rows.Add(sums[p]);
  }
  return rows;
}

}  // namespace custos::records
