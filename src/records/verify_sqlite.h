// VerifySqliteDataDir: VerifyStoreAgainstJournal (store.h) for the SQLite
// store of a data directory, read straight from DIR/records.db and
// DIR/keys/master.key and checked on several threads. Same checks, and the
// same first problem named word for word, as the single-threaded verifier
// (both are built on verify_checker.h).
//
// - The journal, the live rows and the subject keys are read in one state
//   of the store: one connection per lane, all of them starting their read
//   transactions while holding the store's write lock for a moment
//   (verify_scan.h). The check sees one consistent state even while the
//   store is open and written to, so it needs no retries.
// - The journal is cut into items of consecutive seqs, each with the rows
//   whose pages lie among its entries' (verify_lane.h). A lane (a thread
//   with its own connection) reads an item and checks every entry on its
//   own (leaf hash, leaf, columns, pseudonym, decryption, commitment), and
//   digests the item's rows; the calling thread applies the per-record
//   checks in seq order and hands the stored leaf hashes to
//   `on_leaf_hashes`.
// - The rows are compared with the journal as a set (RowSet in
//   verify_checker.h); only when they differ are they checked one by one,
//   to name the first problem.
// - Memory: about 130 bytes per record named by the journal, plus some MB
//   per lane. Decrypted payloads are wiped as soon as they are checked.
//
// Thread-safety: may run while the store is open (it opens its own
// connections); on_leaf_hashes is called on the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace custos::records {

struct SqliteVerifyOptions {
  size_t threads = 0;  // lanes; 0: one per core
  // The stored leaf hashes of seq 1..last_seq, in seq order and in batches;
  // may be empty.
  std::function<void(std::span<const Hash256>)> on_leaf_hashes;
};

struct SqliteVerifyResult {
  uint64_t last_seq = 0;  // the journal's last seq (as verified)
  // The first inconsistency, as VerifyStoreAgainstJournal reports it
  // (Corruption "journal seq N: ..." or "record E/ID: ..."), or OK.
  Status problem;
  // OK when on_leaf_hashes received the hash of every entry; otherwise the
  // entry whose stored hash could not be read (the tree cannot be rebuilt).
  Status leaf_hashes;
  // How the check ran: the connections (lanes) it read with (one when the
  // write lock could not be had), and whether the rows matched the journal
  // as a set (no row-by-row check was needed).
  size_t connections = 0;
  bool rows_as_set = false;
};

// `min_last_seq`: the last seq the store reported (RecordsStore::LastSeq);
// a journal that ends earlier is missing entries. Errors only when the check
// cannot run: NotFound when DIR/records.db does not exist; errors from SQLite
// or from loading the master key.
Result<SqliteVerifyResult> VerifySqliteDataDir(const std::string& data_dir, uint64_t min_last_seq,
                                               const SqliteVerifyOptions& options = {});

}  // namespace custos::records
