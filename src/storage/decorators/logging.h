// LoggingBackend: logs every call of the wrapped backend as one structured
// record (base/log.h): op, object (or prefix), duration, outcome.
//
// Contract
// - Successful calls, and NotFound (an ordinary answer to Stat, Load and
//   Remove), are logged at debug; every other failure at warn, with its code
//   and message. Records below the logger's level cost one atomic load.
// - Fields: op, object (Save/Load/Stat/Remove) or prefix (List), location,
//   duration_ms, outcome ("ok" or a CodeId such as "retryable"), and for
//   failures error (the status message); Load adds offset, length and bytes
//   read, Save adds bytes (the source's length).
// - location is the wrapped backend's Location() passed through RedactUrl()
//   (storage/registry.h), computed once: even a Location() that wrongly keeps
//   a signature or token in its query never reaches the log. Object names are
//   safe by the Backend contract; status messages never hold secrets by the
//   Status contract. Object contents are never logged.
// - Thread-safety: as the wrapped backend and the logger.
// Lifetime: the logger must outlive the decorator.
#pragma once

#include <memory>
#include <string>

#include "base/log.h"
#include "storage/backend.h"

namespace custos {

class LoggingBackend : public BackendWrapper {
 public:
  explicit LoggingBackend(std::unique_ptr<Backend> inner, Logger& logger = DefaultLogger());

  std::string Location() const override { return location_; }
  Status Create() override;
  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;
  Result<ObjectInfo> Stat(const std::string& name) override;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override;
  Status Remove(const std::string& name) override;
  Result<uint64_t> RemoveIncomplete(std::chrono::seconds min_age) override;

 private:
  class Call;

  Logger& logger_;
  const std::string location_;  // redacted
};

}  // namespace custos
