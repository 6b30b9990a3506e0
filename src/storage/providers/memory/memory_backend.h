// MemoryBackend: a Backend that keeps its objects in process memory.
//
// Contract
// - Follows every rule of storage/backend.h; used by tests and as the inner
//   backend when decorators are checked against the conformance suite.
// - Thread-safe: one mutex guards the map. Objects are immutable shared
//   buffers, so Load and List call their consumer without holding the lock
//   (a consumer may call back into the backend).
// - Save reads the whole source before publishing, so it is all-or-nothing
//   (atomic_replace = true): on Corruption or a source error nothing changes.
// - Nothing survives the object's destruction.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/backend.h"

namespace custos {

class MemoryBackend : public Backend {
 public:
  // `label` only appears in Location() ("mem:<label>").
  explicit MemoryBackend(std::string label = "");
  MemoryBackend(const MemoryBackend&) = delete;
  MemoryBackend& operator=(const MemoryBackend&) = delete;

  std::string Location() const override { return "mem:" + label_; }
  const BackendProperties& Properties() const override { return properties_; }
  Status Create() override { return Status::OK(); }
  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;
  Result<ObjectInfo> Stat(const std::string& name) override;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override;
  Status Remove(const std::string& name) override;

 private:
  using Object = std::shared_ptr<const Bytes>;

  const std::string label_;
  BackendProperties properties_;
  std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_
};

}  // namespace custos
