// Vault locks: shared for backup/restore/check, exclusive for prune and key
// removal. A lock is a sealed object "locks/<id>" holding host, pid and time.
//
// A lock is stale when it was not refreshed for 30 minutes, or when it was
// taken on this host by a process that no longer exists; stale locks are
// removed when found. Acquire writes its own lock first and then looks for
// conflicting ones, so two racing processes cannot both succeed.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "vault/vault.h"

namespace custos {

struct LockInfo {
  bool exclusive = false;
  std::string hostname;
  int64_t pid = 0;
  int64_t time_ns = 0;
};

class VaultLock {
 public:
  // Locked (naming the holder) when a conflicting live lock exists.
  static Result<std::unique_ptr<VaultLock>> Acquire(Vault& vault, bool exclusive);
  ~VaultLock();  // releases
  VaultLock(const VaultLock&) = delete;
  VaultLock& operator=(const VaultLock&) = delete;
  Status Release();

  static bool IsStale(const LockInfo& info);

 private:
  VaultLock(Vault& vault, LockInfo info, std::string name);
  void RefreshLoop();

  Vault& vault_;
  LockInfo info_;
  std::mutex mu_;
  std::string name_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread refresher_;
};

// Removes stale locks (or all locks when `all`); returns how many.
Result<int> RemoveLocks(Vault& vault, bool all);

}  // namespace custos
