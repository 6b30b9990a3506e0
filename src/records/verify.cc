// VerifyStoreAgainstJournal: replays the journal's leaves and payloads and
// compares the result with the live rows (see store.h), through the
// RecordsStore interface, so it works for every implementation. The checks
// themselves are those of verify_checker.h; verify_sqlite.h runs the same
// checks on many threads straight from a SQLite data directory.
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "records/store.h"
#include "records/verify_checker.h"

namespace custos::records {
namespace {

// Subject pseudonyms, computed once per subject.
class PseudonymCache {
 public:
  explicit PseudonymCache(RecordsStore& store) : store_(store) {}
  const Pseudonym& Get(const std::string& subject_id) {
    auto it = cache_.find(subject_id);
    if (it == cache_.end()) {
      it = cache_.emplace(subject_id, store_.SubjectPseudonym(subject_id)).first;
    }
    return it->second;
  }

 private:
  RecordsStore& store_;
  std::unordered_map<std::string, Pseudonym> cache_;
};

Status VerifyOnce(RecordsStore& store, uint64_t last) {
  JournalChecker checker;
  PseudonymCache pseudonyms(store);
  RETURN_IF_ERROR(store.ScanJournal(1, last, [&](const JournalEntry& e) -> Status {
    EntryColumns in{e.seq, e.leaf, e.leaf_hash, e.entity, e.record_id};
    EntryFacts f;
    std::optional<Payload> payload;
    if (CheckLeafAlone(in, pseudonyms.Get(e.subject_id), checker.keys(), f)) {
      auto p = store.DecryptPayload(e);
      const Status opened = p.status();
      PayloadImages images;
      if (p.ok()) {
        payload = std::move(p).value();
        images.has_before = payload->before.has_value();
        images.has_after = payload->after.has_value();
        if (payload->before) images.before = *payload->before;
        if (payload->after) images.after = *payload->after;
        if (payload->salt.size() == kCommitmentSaltSize) {
          std::copy(payload->salt.begin(), payload->salt.end(), images.salt.begin());
        }
      }
      CheckPayloadAlone(opened, images, checker.keys(), f);
    }
    return checker.Add(f);
  }));
  RETURN_IF_ERROR(checker.End(last));
  RETURN_IF_ERROR(store.ScanRecords([&](const Record& r) -> Status {
    return checker.CheckRow(r.entity, r.id, r.version, pseudonyms.Get(r.subject_id), r.data);
  }));
  return checker.FirstMissingRow([&](uint64_t seq) -> Result<std::pair<std::string, std::string>> {
    ASSIGN_OR_RETURN(std::vector<JournalEntry> e, store.ReadJournal(seq, seq));
    if (e.empty()) return Status::Corruption("journal seq " + std::to_string(seq) + " vanished");
    return std::make_pair(e[0].entity, e[0].record_id);
  });
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
