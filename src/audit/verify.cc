#include "audit/verify.h"

#include <chrono>

#include "audit/audit_log.h"
#include "audit/checkpoint_log.h"
#include "audit/signing.h"
#include "journal/merkle.h"
#include "journal/merkle_verify.h"

namespace custos::audit {

Result<VerifyReport> VerifyDataDir(records::RecordsStore& store, const std::string& data_dir,
                                   const std::string& key) {
  auto t0 = std::chrono::steady_clock::now();
  VerifyReport report;
  auto& problems = report.problems;

  // 1. Journal entries and record rows: leaf encodings and hashes, payload
  //    authentication, commitments, links, and every row against the
  //    after-image of its latest entry.
  Status st = records::VerifyStoreAgainstJournal(store);
  if (!st.ok()) {
    bool row = st.message().rfind("record ", 0) == 0;
    problems.push_back({row ? "row" : "entry", st.message()});
  }
  uint64_t entries = store.LastSeq();

  // 2. The verifier key: given by the auditor, else the data directory's own.
  std::string vkey;
  if (!key.empty()) {
    vkey = key;
  } else {
    auto signer = LoadSigner(data_dir);
    if (signer.ok()) {
      vkey = signer->verifier_key();
    } else if (!signer.status().IsNotFound()) {
      problems.push_back({"checkpoint", signer.status().message()});
    }
  }

  // 3. Checkpoints: signatures, sizes, roots recomputed from the leaves, and
  //    consistency proofs between successive checkpoints.
  uint64_t checkpoints = 0;
  auto notes = ReadCheckpointLog(data_dir);
  if (!notes.ok()) {
    problems.push_back({"checkpoint", notes.status().message()});
  } else if (!notes->empty() && vkey.empty()) {
    problems.push_back({"checkpoint", "checkpoints exist but no verifier key was found"});
  } else {
    checkpoints = notes->size();
    std::vector<ParsedCheckpoint> parsed;
    for (size_t i = 0; i < notes->size(); i++) {
      auto cp = OpenCheckpointWithKey((*notes)[i], vkey);
      if (!cp.ok()) {
        problems.push_back({"checkpoint", "checkpoint #" + std::to_string(i + 1) + ": " +
                                              cp.status().message()});
        break;
      }
      if (!parsed.empty() && cp->size <= parsed.back().size) {
        problems.push_back({"checkpoint", "checkpoint #" + std::to_string(i + 1) + " (size " +
                                              std::to_string(cp->size) +
                                              ") does not grow the log"});
        break;
      }
      if (cp->size > entries) {
        problems.push_back({"checkpoint", "checkpoint #" + std::to_string(i + 1) + " covers " +
                                              std::to_string(cp->size) +
                                              " entries; the journal holds " +
                                              std::to_string(entries)});
        break;
      }
      parsed.push_back(*cp);
    }
    // Rebuild the tree from the journal's leaves; compare each checkpoint's
    // root at its size, and check the consistency proof between neighbours
    // as an outside verifier holding only the two checkpoints would.
    journal::MerkleTree tree;
    std::vector<Hash256> batch;
    Status scan = store.ReadLeafHashes(1, entries, [&](uint64_t, const Hash256& h) {
      batch.push_back(h);
      if (batch.size() == (1 << 16)) {
        tree.AppendBatch(batch);
        batch.clear();
      }
    });
    if (!batch.empty()) tree.AppendBatch(batch);
    if (!scan.ok()) problems.push_back({"entry", scan.message()});
    for (size_t i = 0; scan.ok() && i < parsed.size(); i++) {
      auto root = tree.Root(parsed[i].size);
      if (!root.ok() || *root != parsed[i].root) {
        problems.push_back({"checkpoint", "checkpoint #" + std::to_string(i + 1) + " (size " +
                                              std::to_string(parsed[i].size) +
                                              "): its root does not match the journal"});
        break;
      }
      if (i > 0) {
        auto proof = tree.ConsistencyProof(parsed[i - 1].size, parsed[i].size);
        Status c = proof.ok() ? journal::VerifyConsistency(parsed[i - 1].size, parsed[i].size,
                                                           parsed[i - 1].root, parsed[i].root,
                                                           *proof)
                              : proof.status();
        if (!c.ok()) {
          problems.push_back({"checkpoint", "checkpoints #" + std::to_string(i) + " and #" +
                                                std::to_string(i + 1) +
                                                " are not consistent: " + c.message()});
          break;
        }
      }
    }
  }
  report.entries = entries;
  report.checkpoints = checkpoints;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace custos::audit
