// Restorer: writes a snapshot (or the parts matching include patterns) into a
// target directory, as restic does: a snapshot of /srv/data restores to
// <target>/srv/data.
//
// Each needed pack is read once, in coalesced ranges with several requests in
// flight (restore_fetch.h); each needed blob is decrypted, decompressed and
// checked against its id before a single byte of it is written (pwrite from
// the reading threads; nothing is fsynced). A file that
// cannot be completed is removed and reported; it is never left silently
// wrong. Metadata (mode, owner when running as root, times) is applied after
// content; directories last, deepest first. Hard links and sparse files are
// recreated.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "vault/vault.h"

namespace custos {

struct RestoreProgress {
  std::atomic<uint64_t> files{0}, bytes{0}, errors{0};
  uint64_t total_bytes = 0;
};

struct RestoreOptions {
  std::string target;
  std::vector<std::string> includes;  // empty: everything
  int workers = 0;                    // ranges read at once; 0: the backend's connections (2 to 4)
  RestoreProgress* progress = nullptr;
  std::function<void(const std::string&, const Status&)> on_error;
};

struct RestoreStats {
  uint64_t files = 0, dirs = 0, other = 0, bytes = 0, errors = 0;
};

// The vault's index must be loaded. Returns stats; errors > 0 when some
// entries could not be restored (each was passed to on_error).
Result<RestoreStats> RunRestore(Vault& vault, const Snapshot& snap, const RestoreOptions& options);

// Calls fn(path, node) for every node under the snapshot's tree, depth first,
// parents before children. Paths are absolute within the snapshot.
Status WalkSnapshot(Vault& vault, const BlobId& tree,
                    const std::function<Status(const std::string&, const Node&)>& fn);

}  // namespace custos
