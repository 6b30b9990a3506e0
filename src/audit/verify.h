// VerifyDataDir: `custos audit verify` as a library call.
//
// Recomputes, for a data directory whose store is not open elsewhere:
//   - every journal entry: leaf encoding and hash, payload authentication,
//     commitment, per-record links (records::VerifyStoreAgainstJournal);
//   - every live record row against the after-image of its latest entry;
//   - the Merkle tree from the leaves, every checkpoint's signature, that
//     each checkpoint's root is the tree's root at its size, and a
//     consistency proof between each pair of successive checkpoints.
// The report names the first inconsistent entry, row and checkpoint (one
// problem per kind at most). Errors (Status) only for what stops the check
// from running at all (the store cannot be opened).
//
// A SQLite data directory is read directly, one state of it on one
// connection per core (records/verify_sqlite.h); any other store through
// the RecordsStore interface. The tree is rebuilt in the same pass over the
// journal, keeping only the hashes the checkpoints need (verify_tree.h).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "records/store.h"

namespace custos::audit {

struct VerifyProblem {
  std::string kind;  // "entry", "row" or "checkpoint"
  std::string message;
};

struct VerifyReport {
  uint64_t entries = 0;
  uint64_t checkpoints = 0;
  double seconds = 0;
  std::vector<VerifyProblem> problems;
  bool ok() const { return problems.empty(); }
};

// `vkey`: the verifier key to trust; empty uses the directory's own key.
Result<VerifyReport> VerifyDataDir(records::RecordsStore& store, const std::string& data_dir,
                                   const std::string& vkey);

// The same for a SQLite data directory that another process (`custos
// serve`) has open and goes on writing: the checkpoints signed so far are
// read first (a record being appended is left for the next run), then one
// state of the journal and rows, pinned for the whole check (writers wait
// ~1 ms for the pin), which holds every entry those checkpoints cover.
// NotFound when DIR holds no SQLite store.
Result<VerifyReport> VerifyLiveDataDir(const std::string& data_dir, const std::string& vkey);

}  // namespace custos::audit
