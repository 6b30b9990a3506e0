// MetricsBackend: counts the calls that reach the wrapped backend, their
// errors, bytes and latencies in a MetricsRegistry (base/metrics.h), labelled
// by a backend label and the operation.
//
// Series (backend = the label given, op = create|save|load|stat|list|remove|
// remove_incomplete, code = CodeId() of the error, e.g. "retryable"):
//   custos_backend_requests_total{backend,op}          calls made
//   custos_backend_errors_total{backend,op,code}       calls that failed
//   custos_backend_request_duration_seconds{backend,op} latency histogram
//   custos_backend_uploaded_bytes_total{backend}        bytes of Saves that succeeded
//   custos_backend_downloaded_bytes_total{backend}      bytes handed to Load consumers
// NotFound from Load, Stat and Remove is counted as an error with
// code="not_found" like any other, so dashboards can filter it.
//
// Contract
// - The label is written to /metrics verbatim: a destination's name, never an
//   address (it might hold a secret) or personal data.
// - Forwards every call unchanged; a Save's source keeps its Contiguous()
//   fast path (upload bytes are counted from Length() on success).
// - Thread-safety: as the wrapped backend; the series are atomics, looked up
//   once at construction (error series on the first error of each code).
// Lifetime: the registry must outlive the decorator.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "storage/backend.h"

namespace custos {

class MetricsBackend : public BackendWrapper {
 public:
  MetricsBackend(std::unique_ptr<Backend> inner, std::string backend_label,
                 MetricsRegistry& registry = DefaultMetrics());

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
  enum Op { kCreate, kSave, kLoad, kStat, kList, kRemove, kRemoveIncomplete, kNumOps };
  struct OpSeries {
    Counter* requests = nullptr;
    Histogram* latency = nullptr;
  };
  class Timer;

  void Record(Op op, const Status& st, double seconds);

  const std::string label_;
  MetricsRegistry& registry_;
  std::array<OpSeries, kNumOps> ops_;
  Counter* uploaded_ = nullptr;
  Counter* downloaded_ = nullptr;
};

}  // namespace custos
