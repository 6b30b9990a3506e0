#include "audit/verify.h"

#include <chrono>
#include <optional>
#include <span>

#include "audit/audit_log.h"
#include "audit/checkpoint_log.h"
#include "audit/signing.h"
#include "audit/verify_tree.h"
#include "journal/merkle_verify.h"
#include "records/verify_sqlite.h"

namespace custos::audit {
namespace {

void AddJournalProblem(const Status& st, std::vector<VerifyProblem>& problems) {
  bool row = st.message().rfind("record ", 0) == 0;
  problems.push_back({row ? "row" : "entry", st.message()});
}

// The journal and the record rows (records::VerifyStoreAgainstJournal's
// checks), handing the stored leaf hashes to `tree` on the way. Returns the
// number of entries; `tree_ok` is false when not every leaf hash reached the
// tree.
// `store` is nullptr for a live SQLite directory (VerifyLiveDataDir), whose
// journal must reach `min_last_seq`. Errors only when there is no store.
Result<uint64_t> CheckJournal(records::RecordsStore* store, uint64_t min_last_seq,
                              const std::string& data_dir, CheckpointTree& tree,
                              std::vector<VerifyProblem>& problems,
                              std::vector<VerifyProblem>& scan_problems, bool& tree_ok) {
  // The SQLite store of a data directory: read directly, on every core.
  records::SqliteVerifyOptions options;
  options.on_leaf_hashes = [&](std::span<const Hash256> hashes) { tree.Append(hashes); };
  auto fast = records::VerifySqliteDataDir(
      data_dir, store != nullptr ? store->LastSeq() : min_last_seq, options);
  if (fast.ok()) {
    if (!fast->problem.ok()) AddJournalProblem(fast->problem, problems);
    if (!fast->leaf_hashes.ok()) scan_problems.push_back({"entry", fast->leaf_hashes.message()});
    tree_ok = fast->leaf_hashes.ok();
    return fast->last_seq;
  }
  if (store == nullptr) return fast.status();
  if (!fast.status().IsNotFound()) {
    problems.push_back({"entry", fast.status().message()});
    tree_ok = false;
    return store->LastSeq();
  }
  // Any other store: through the RecordsStore interface.
  Status st = records::VerifyStoreAgainstJournal(*store);
  if (!st.ok()) AddJournalProblem(st, problems);
  const uint64_t entries = store->LastSeq();
  std::vector<Hash256> batch;
  Status scan = store->ReadLeafHashes(1, entries, [&](uint64_t, const Hash256& h) {
    batch.push_back(h);
    if (batch.size() == (1 << 16)) {
      tree.Append(batch);
      batch.clear();
    }
  });
  if (!batch.empty()) tree.Append(batch);
  if (!scan.ok()) scan_problems.push_back({"entry", scan.message()});
  tree_ok = scan.ok();
  return entries;
}

std::string Nth(size_t i) { return "checkpoint #" + std::to_string(i + 1); }

// VerifyDataDir (store open here) and VerifyLiveDataDir (store == nullptr).
Result<VerifyReport> Verify(records::RecordsStore* store, const std::string& data_dir,
                            const std::string& key) {
  auto t0 = std::chrono::steady_clock::now();
  VerifyReport report;

  // The verifier key (given by the auditor, else the data directory's own)
  // and the signed checkpoints come first: the tree is rebuilt in one pass
  // over the journal and keeps only what these checkpoints need.
  std::vector<VerifyProblem> key_problems, checkpoint_problems;
  std::string vkey;
  if (!key.empty()) {
    vkey = key;
  } else {
    auto signer = LoadSigner(data_dir);
    if (signer.ok()) {
      vkey = signer->verifier_key();
    } else if (!signer.status().IsNotFound()) {
      key_problems.push_back({"checkpoint", signer.status().message()});
    }
  }
  uint64_t checkpoints = 0;
  std::vector<ParsedCheckpoint> parsed;     // signed, and each grows the log
  std::optional<VerifyProblem> stopped_at;  // why the list above ends early
  // A live directory's server may be appending a record right now: its
  // torn tail is left for the next run (nothing was lost; it is not signed
  // yet as far as anyone could have been told).
  auto notes = ReadCheckpointLog(data_dir, /*tolerate_torn_tail=*/store == nullptr);
  if (!notes.ok()) {
    checkpoint_problems.push_back({"checkpoint", notes.status().message()});
  } else if (!notes->empty() && vkey.empty()) {
    checkpoint_problems.push_back(
        {"checkpoint", "checkpoints exist but no verifier key was found"});
  } else {
    checkpoints = notes->size();
    for (size_t i = 0; i < notes->size(); i++) {
      auto cp = OpenCheckpointWithKey((*notes)[i], vkey);
      if (!cp.ok()) {
        stopped_at = VerifyProblem{"checkpoint", Nth(i) + ": " + cp.status().message()};
        break;
      }
      if (!parsed.empty() && cp->size <= parsed.back().size) {
        stopped_at = VerifyProblem{"checkpoint", Nth(i) + " (size " + std::to_string(cp->size) +
                                                     ") does not grow the log"};
        break;
      }
      parsed.push_back(*cp);
    }
  }
  std::vector<uint64_t> sizes;
  for (const ParsedCheckpoint& cp : parsed) sizes.push_back(cp.size);
  CheckpointTree tree(sizes);

  // 1. Journal entries and record rows: leaf encodings and hashes, payload
  //    authentication, commitments, links, and every row against the
  //    after-image of its latest entry; the tree from the leaf hashes.
  std::vector<VerifyProblem> scan_problems;
  bool tree_ok = false;
  const uint64_t signed_size = parsed.empty() ? 0 : parsed.back().size;
  ASSIGN_OR_RETURN(const uint64_t entries, CheckJournal(store, signed_size, data_dir, tree,
                                                        report.problems, scan_problems, tree_ok));

  // 2. Checkpoints, in log order: signatures and growth (above), sizes
  //    within the journal, roots recomputed from the leaves, and the
  //    consistency proof between neighbours, checked as an outside verifier
  //    holding only the two checkpoints would.
  for (size_t i = 0; i < parsed.size(); i++) {
    if (parsed[i].size > entries) {
      stopped_at =
          VerifyProblem{"checkpoint", Nth(i) + " covers " + std::to_string(parsed[i].size) +
                                          " entries; the journal holds " + std::to_string(entries)};
      parsed.resize(i);
      break;
    }
  }
  if (stopped_at) checkpoint_problems.push_back(*stopped_at);
  std::vector<VerifyProblem> tree_problems;
  for (size_t i = 0; tree_ok && i < parsed.size(); i++) {
    auto root = tree.Root(i);
    if (!root.ok() || *root != parsed[i].root) {
      tree_problems.push_back({"checkpoint", Nth(i) + " (size " + std::to_string(parsed[i].size) +
                                                 "): its root does not match the journal"});
      break;
    }
    if (i > 0) {
      auto proof = tree.ConsistencyProof(i);
      Status c = proof.ok() ? journal::VerifyConsistency(parsed[i - 1].size, parsed[i].size,
                                                         parsed[i - 1].root, parsed[i].root, *proof)
                            : proof.status();
      if (!c.ok()) {
        tree_problems.push_back({"checkpoint", "checkpoints #" + std::to_string(i) + " and #" +
                                                   std::to_string(i + 1) +
                                                   " are not consistent: " + c.message()});
        break;
      }
    }
  }
  for (auto* list : {&key_problems, &checkpoint_problems, &scan_problems, &tree_problems}) {
    report.problems.insert(report.problems.end(), list->begin(), list->end());
  }
  report.entries = entries;
  report.checkpoints = checkpoints;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace

Result<VerifyReport> VerifyDataDir(records::RecordsStore& store, const std::string& data_dir,
                                   const std::string& key) {
  return Verify(&store, data_dir, key);
}

Result<VerifyReport> VerifyLiveDataDir(const std::string& data_dir, const std::string& key) {
  return Verify(nullptr, data_dir, key);
}

}  // namespace custos::audit
