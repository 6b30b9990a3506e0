// AuditLog: the RFC 6962 Merkle log over the journal's leaves, with C2SP
// signed checkpoints (ARCHITECTURE §3.2).
//
// Contract
// - Leaf index = journal seq - 1. The tree holds every committed entry: it is
//   rebuilt from the store's leaf hashes on Open and follows the store's
//   commit listener afterwards (Open installs it; the destructor clears it).
// - Checkpoints are signed notes "origin\n<size>\n<base64 root>\n" (Ed25519,
//   C2SP tlog-checkpoint). A background thread signs one at least every
//   `checkpoint_interval` while the tree grows; CheckpointNow() signs one on
//   demand. Every checkpoint is appended durably (fsync) to
//   DIR/audit/checkpoints.log before it is served. A log never signs two
//   checkpoints for the same size.
// - The signing key is DIR/keys/checkpoint.key (created 0600 on first start);
//   the verifier key ("<origin>+<hash8>+<base64>") is derived from it.
// - Thread-safe: every method may be called from any thread.
// - Errors: InvalidArgument for a seq/size outside the tree (message names
//   both numbers); IOError/NoSpace when the checkpoint log cannot be written;
//   Corruption when stored checkpoints or the key file are damaged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "records/store.h"

namespace custos::audit {

struct AuditLogOptions {
  std::string data_dir;
  // The log's name in checkpoints and keys: "custos.local/<hostname>" style,
  // no whitespace or '+'. Empty: "custos/<data dir id>".
  std::string origin;
  std::chrono::milliseconds checkpoint_interval{1000};
  // Fault injection: called before each checkpoint is stored; an error is
  // taken as the store's (a full disk). Empty in production.
  std::function<Status()> before_checkpoint_store;
};

struct InclusionProof {
  uint64_t seq = 0;
  uint64_t index = 0;  // seq - 1
  uint64_t tree_size = 0;
  Hash256 leaf_hash{};
  Hash256 root{};
  std::vector<Hash256> hashes;  // RFC 9162 order (leaf to root)
};

struct ConsistencyProof {
  uint64_t from_size = 0, to_size = 0;
  Hash256 from_root{}, to_root{};
  std::vector<Hash256> hashes;  // RFC 9162 order
};

struct Checkpoint {
  uint64_t size = 0;
  Hash256 root{};
  std::string note;  // the signed note text
};

class AuditLog {
 public:
  // `store` must outlive the log.
  static Result<std::unique_ptr<AuditLog>> Open(records::RecordsStore& store,
                                                const AuditLogOptions& options);
  virtual ~AuditLog() = default;

  virtual uint64_t Size() const = 0;
  virtual const std::string& Origin() const = 0;
  virtual const std::string& VerifierKey() const = 0;
  virtual Result<Hash256> Root(uint64_t size) const = 0;

  // The newest signed checkpoint. When `fresh` is set, or none exists yet,
  // first signs one for the current size if the tree grew since the last.
  virtual Result<Checkpoint> LatestCheckpoint(bool fresh = false) = 0;
  // Signs and stores a checkpoint for the current size (returns the existing
  // one when the size has not changed).
  virtual Result<Checkpoint> CheckpointNow() = 0;

  virtual Result<InclusionProof> Inclusion(uint64_t seq, uint64_t tree_size) const = 0;
  virtual Result<ConsistencyProof> Consistency(uint64_t from_size, uint64_t to_size) const = 0;
  // A C2SP tlog-proof@v1 file for entry `seq` against a fresh checkpoint.
  virtual Result<std::string> TlogProof(uint64_t seq) = 0;

  // What keeps the log from keeping its promise, for health reports: OK, or
  // why entries are going unsigned. Either the tree missed journal entries
  // (Corruption; it never signs again until reopened), or the last attempt
  // to sign and store a checkpoint failed (its error, for example a full
  // disk: the signer retries every interval until one succeeds).
  virtual Status Problem() const = 0;
  // The size of the newest stored checkpoint (0: none yet).
  virtual uint64_t CheckpointSize() const = 0;
};

// Reads DIR/audit/checkpoints.log: every stored checkpoint in order.
// Corruption naming the byte offset of a damaged record; with
// `tolerate_torn_tail` (a log that a running server may be appending to), a
// truncated last record is left out instead.
Result<std::vector<std::string>> ReadCheckpointLog(const std::string& data_dir,
                                                   bool tolerate_torn_tail = false);

}  // namespace custos::audit
