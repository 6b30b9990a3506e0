// ConcurrencyLimitBackend: at most N calls of the wrapped backend in flight
// at once (a counting semaphore), so a store gets no more parallel requests
// than it serves well.
//
// Contract
// - Every call (Create, Save, Load, Stat, List, Remove, RemoveIncomplete)
//   takes a slot before it reaches the wrapped backend and gives it back when
//   it returns; callers beyond N wait until a slot frees (no FIFO order).
// - Nested calls do not deadlock: a Load consumer or a List callback runs
//   while its call holds a slot, and if it calls this same backend from the
//   same thread, the nested call runs on the slot its thread already holds
//   instead of waiting for another one (with N = 1 waiting would deadlock).
//   So the limit counts threads inside the backend: it is never exceeded,
//   and a List that streams pages keeps its slot while the callback works.
//   A callback that hands a call to another thread and waits for it can
//   still deadlock when all slots are taken; callbacks must not do that.
// - Properties().connections is the smaller of the wrapped backend's and N.
// - Thread-safety: safe for any number of threads. N < 1 counts as 1.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "storage/backend.h"

namespace custos {

class ConcurrencyLimitBackend : public BackendWrapper {
 public:
  ConcurrencyLimitBackend(std::unique_ptr<Backend> inner, int max_in_flight);

  const BackendProperties& Properties() const override { return properties_; }
  Status Create() override;
  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;
  Result<ObjectInfo> Stat(const std::string& name) override;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override;
  Status Remove(const std::string& name) override;
  Result<uint64_t> RemoveIncomplete(std::chrono::seconds min_age) override;

  int max_in_flight() const { return max_; }
  // Calls currently holding a slot (for tests and gauges).
  int in_flight() const;

 private:
  class Slot;

  const int max_;
  BackendProperties properties_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;  // guarded by mu_
};

}  // namespace custos
