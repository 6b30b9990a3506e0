// Pruner: removes data that no snapshot references.
//
// Steps, in this order so that a crash at any point leaves a valid vault:
//   1. mark every blob reachable from any snapshot (any unreadable snapshot or
//      tree aborts: prune never guesses what is in use);
//   2. repack used blobs out of packs that are mostly unused (new packs);
//   3. write one new index covering every kept and new pack;
//   4. delete the old index objects;
//   5. delete packs that are unused, repacked, or named by no index.
// Must run under an exclusive lock.
#pragma once

#include <functional>
#include <string>
#include <unordered_set>

#include "vault/vault.h"

namespace custos {

struct PruneOptions {
  double max_unused = 0.05;  // repack a pack when more than this share is unused
  bool dry_run = false;
  std::function<void(const std::string&)> on_info;
};

struct PruneStats {
  uint64_t packs_total = 0, packs_deleted = 0, packs_repacked = 0, packs_unreferenced = 0;
  uint64_t blobs_used = 0, blobs_unused = 0;
  uint64_t bytes_freed = 0;
  uint64_t incomplete_removed = 0;  // temporary leftovers of killed writers
};

Result<PruneStats> RunPrune(Vault& vault, const PruneOptions& options);

// Every blob (data and tree) reachable from the given snapshots.
Status MarkUsed(Vault& vault, const std::vector<Snapshot>& snaps,
                std::unordered_set<BlobId, BlobIdHash>& used);

}  // namespace custos
