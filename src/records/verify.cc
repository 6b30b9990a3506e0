// VerifyStoreAgainstJournal: replays the journal's leaves and payloads and
// compares the result with the live rows (see store.h).
#include <map>
#include <utility>

#include "crypto/hash.h"
#include "records/store.h"

namespace custos::records {
namespace {

// What the journal says about one (entity, record id).
struct State {
  uint64_t last_seq = 0;
  Hash256 last_hash{};
  bool is_record = false;  // a create/import entry has been seen
  bool live = false;
  uint64_t version = 0;
  bool known = false;      // the latest after-image could be decrypted
  Hash256 after_digest{};  // SHA-256 of the latest after-image
  Pseudonym subject{};
  bool seen_row = false;
};

using Key = std::pair<std::string, std::string>;

Status EntryError(uint64_t seq, const std::string& what) {
  return Status::Corruption("journal seq " + std::to_string(seq) + ": " + what);
}
Status RowError(const Key& k, const std::string& what) {
  return Status::Corruption("record " + k.first + "/" + k.second + ": " + what);
}

bool IsRecordEvent(const Leaf& leaf) {
  switch (leaf.event) {
    case EventType::kCreate:
    case EventType::kImport:
    case EventType::kUpdate:
    case EventType::kDelete:
      return true;
    case EventType::kErase:
      return leaf.entity != "subject";
    default:
      return false;
  }
}

Status CheckEntry(RecordsStore& store, const JournalEntry& e, std::map<Key, State>& states) {
  const uint64_t seq = e.seq;
  if (LeafHash(e.leaf) != e.leaf_hash) {
    return EntryError(seq, "stored leaf hash does not match the leaf");
  }
  auto decoded = DecodeLeaf(e.leaf);
  if (!decoded.ok()) return EntryError(seq, decoded.status().message());
  const Leaf& leaf = *decoded;
  if (leaf.seq != seq) return EntryError(seq, "the leaf carries seq " + std::to_string(leaf.seq));
  if (leaf.entity != e.entity || leaf.record_id != e.record_id) {
    return EntryError(seq, "entity/record id columns do not match the leaf");
  }
  if (leaf.subject != store.SubjectPseudonym(e.subject_id)) {
    return EntryError(seq, "subject column does not match the leaf's subject pseudonym");
  }

  std::optional<Payload> payload;
  auto p = store.DecryptPayload(e);
  if (p.ok()) {
    payload = std::move(p).value();
    if (PayloadCommitment(*payload) != leaf.commitment) {
      return EntryError(seq, "the commitment does not match the payload");
    }
  } else if (!p.status().IsNotFound()) {
    return EntryError(seq, "payload: " + p.status().message());
  }

  if (leaf.record_id.empty()) {
    if (leaf.prev_seq != 0) return EntryError(seq, "an entry without a record id has a link");
    return Status::OK();
  }
  State& st = states[Key(leaf.entity, leaf.record_id)];
  if (leaf.prev_seq != st.last_seq || leaf.prev_leaf_hash != st.last_hash) {
    return EntryError(seq, "the link to the record's previous entry is wrong");
  }
  st.last_seq = seq;
  st.last_hash = e.leaf_hash;
  if (!IsRecordEvent(leaf)) return Status::OK();

  auto digest_of = [](const std::string& s) { return Sha256(AsBytes(s)); };
  switch (leaf.event) {
    case EventType::kCreate:
    case EventType::kImport:
      if (st.is_record) return EntryError(seq, "creates a record that already existed");
      if (leaf.record_version != 1) return EntryError(seq, "a create must have version 1");
      if (payload && (payload->before || !payload->after)) {
        return EntryError(seq, "a create's payload must have an after-image only");
      }
      st.is_record = true;
      st.live = true;
      break;
    case EventType::kUpdate:
    case EventType::kDelete:
    case EventType::kErase: {
      if (!st.live) return EntryError(seq, "changes a record that does not exist");
      if (leaf.record_version != st.version + 1) {
        return EntryError(seq, "version " + std::to_string(leaf.record_version) +
                                   " does not follow " + std::to_string(st.version));
      }
      const bool removes = leaf.event != EventType::kUpdate;
      if (payload) {
        if (!payload->before || payload->after.has_value() == removes) {
          return EntryError(seq, "the payload's before/after images do not fit the event");
        }
        if (st.known && digest_of(*payload->before) != st.after_digest) {
          return EntryError(seq, "the before-image differs from the previous after-image");
        }
      }
      st.live = !removes;
      break;
    }
    default:
      break;
  }
  st.version = leaf.record_version;
  st.subject = leaf.subject;
  st.known = payload.has_value();
  if (payload && payload->after) st.after_digest = digest_of(*payload->after);
  return Status::OK();
}

Status VerifyOnce(RecordsStore& store, uint64_t last) {
  std::map<Key, State> states;
  uint64_t expected = 1;
  RETURN_IF_ERROR(store.ScanJournal(1, last, [&](const JournalEntry& e) -> Status {
    if (e.seq != expected) {
      return EntryError(e.seq, "expected seq " + std::to_string(expected) + " (entries missing)");
    }
    ++expected;
    return CheckEntry(store, e, states);
  }));
  if (expected != last + 1) {
    return EntryError(expected, "missing (the journal ends at " + std::to_string(expected - 1) +
                                    ", its last seq is " + std::to_string(last) + ")");
  }
  RETURN_IF_ERROR(store.ScanRecords([&](const Record& r) -> Status {
    Key k(r.entity, r.id);
    auto it = states.find(k);
    if (it == states.end() || !it->second.is_record) {
      return RowError(k, "has no journal entry");
    }
    State& st = it->second;
    if (!st.live) {
      return RowError(k, "journal seq " + std::to_string(st.last_seq) + " deleted it");
    }
    if (r.version != st.version) {
      return RowError(k, "row version " + std::to_string(r.version) + " but journal version " +
                             std::to_string(st.version));
    }
    if (store.SubjectPseudonym(r.subject_id) != st.subject) {
      return RowError(k, "its subject differs from the journal's");
    }
    if (!st.known) return RowError(k, "its latest journal payload cannot be decrypted");
    if (Sha256(AsBytes(r.data)) != st.after_digest) {
      return RowError(k, "data differs from the after-image of its latest journal entry");
    }
    st.seen_row = true;
    return Status::OK();
  }));
  for (const auto& [k, st] : states) {
    if (st.is_record && st.live && !st.seen_row) {
      return RowError(k, "the journal says it exists at version " + std::to_string(st.version) +
                             ", but there is no row");
    }
  }
  return Status::OK();
}

}  // namespace

Status VerifyStoreAgainstJournal(RecordsStore& store) {
  // Journal and rows are read in separate read transactions; a write in
  // between would look like an inconsistency, so retry when one happened.
  for (int attempt = 0; attempt < 5; ++attempt) {
    const uint64_t before = store.LastSeq();
    Status st = VerifyOnce(store, before);
    if (store.LastSeq() == before) return st;
  }
  return Status::Retryable("the store kept changing during verification; retry when quieter");
}

}  // namespace custos::records
