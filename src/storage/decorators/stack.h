// StackDecorators: the one place that decides how the storage decorators
// wrap a provider.
//
// The order, outermost first:
//
//   Logging -> Retry -> ConcurrencyLimit -> BandwidthLimit -> Metrics
//           -> FaultInjection -> provider
//
// - Logging is outermost so it writes one record per call the caller made,
//   with the caller-visible outcome and total time (retries included); a
//   failure after retries says how many attempts were made and the last
//   error. Individual attempts show in the metrics.
// - Retry sits above the limits so that waiting out a backoff holds neither a
//   connection slot nor bandwidth: every attempt queues for a slot again.
// - ConcurrencyLimit above BandwidthLimit: a throttled transfer is a request
//   in flight and keeps its slot while it is slowed down. (Throttling happens
//   inside the provider's reads either way; the slot is what this decides.)
// - Metrics below retry and the limits count what reaches the provider: one
//   request per attempt, so transient errors that the retry hides still show
//   in custos_backend_errors_total, and latency excludes queueing and
//   backoff.
// - FaultInjection is innermost: an injected fault looks to every layer
//   above exactly like the provider failing, so tests exercise the same paths
//   (the retry retries it, metrics count it, logging reports it).
//
// Errors: InvalidArgument for a null provider, a bad fault spec (naming the
// token) or metrics without a backend label.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/log.h"
#include "base/metrics.h"
#include "base/result.h"
#include "storage/backend.h"
#include "storage/decorators/clock.h"
#include "storage/decorators/retry.h"

namespace custos {

struct StackOptions {
  bool retry = true;
  RetryOptions retry_options;
  // Calls in flight at most; 0 = the provider's Properties().connections,
  // negative = no limit.
  int max_concurrency = 0;
  uint64_t upload_bytes_per_second = 0;    // 0 = unlimited
  uint64_t download_bytes_per_second = 0;  // 0 = unlimited
  bool metrics = true;
  std::string backend_label;            // required when metrics is on; no secrets
  MetricsRegistry* registry = nullptr;  // nullptr = DefaultMetrics()
  bool logging = true;
  Logger* logger = nullptr;  // nullptr = DefaultLogger()
  std::string fault_spec;    // ParseFaultSpec() grammar; "" = no faults
  Clock* clock = nullptr;    // for bandwidth and fault delays; nullptr = SystemClock()
};

Result<std::unique_ptr<Backend>> StackDecorators(std::unique_ptr<Backend> provider,
                                                 const StackOptions& options);

}  // namespace custos
