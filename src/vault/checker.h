// Checker: verifies a vault's structure and, optionally, its data.
//
// Structure: every key object matches its name; every index object opens;
// every snapshot opens; every tree reachable from a snapshot opens and every
// blob it references is in the index; every pack the index names exists with
// a size that covers its entries. Packs that no index names are reported as
// unreferenced leftovers (harmless; prune removes them), not as errors.
// Data (--read-data / subset): each selected pack is read whole, its SHA-256
// checked against its name, its header opened and compared with the index,
// and every blob decrypted and checked against its id.
#pragma once

#include <functional>
#include <string>

#include "vault/vault.h"

namespace custos {

struct CheckOptions {
  bool read_data = false;
  double read_fraction = 1.0;  // of packs, with read_data
  int workers = 2;
  std::function<void(const std::string&)> on_error;  // one problem, naming the object
  std::function<void(const std::string&)> on_info;   // leftovers and progress
};

struct CheckResult {
  uint64_t errors = 0;
  uint64_t unreferenced_packs = 0;
  uint64_t packs_read = 0;
  uint64_t snapshots = 0;
};

// Never fails for problems in the vault (those are counted and reported); only
// for failures to talk to the backend at all.
Result<CheckResult> RunCheck(Vault& vault, const CheckOptions& options);

}  // namespace custos
