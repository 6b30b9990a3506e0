#include "storage/decorators/stack.h"

#include "storage/decorators/bandwidth_limit.h"
#include "storage/decorators/concurrency_limit.h"
#include "storage/decorators/fault_injection.h"
#include "storage/decorators/logging.h"
#include "storage/decorators/metrics_backend.h"

namespace custos {

Result<std::unique_ptr<Backend>> StackDecorators(std::unique_ptr<Backend> provider,
                                                 const StackOptions& options) {
  if (!provider) return Status::InvalidArgument("stack decorators: no provider backend");
  if (options.metrics && options.backend_label.empty()) {
    return Status::InvalidArgument("stack decorators: metrics need a backend label");
  }
  std::unique_ptr<Backend> b = std::move(provider);
  const int connections = b->Properties().connections;

  // Innermost first; see stack.h for why this order.
  if (!options.fault_spec.empty()) {
    ASSIGN_OR_RETURN(FaultOptions faults, ParseFaultSpec(options.fault_spec));
    faults.clock = options.clock;
    b = std::make_unique<FaultInjectionBackend>(std::move(b), std::move(faults));
  }
  if (options.metrics) {
    b = std::make_unique<MetricsBackend>(std::move(b), options.backend_label,
                                         options.registry ? *options.registry : DefaultMetrics());
  }
  if (options.upload_bytes_per_second > 0 || options.download_bytes_per_second > 0) {
    BandwidthOptions bw;
    bw.upload_bytes_per_second = options.upload_bytes_per_second;
    bw.download_bytes_per_second = options.download_bytes_per_second;
    bw.clock = options.clock;
    b = std::make_unique<BandwidthLimitBackend>(std::move(b), bw);
  }
  if (options.max_concurrency >= 0) {
    const int n = options.max_concurrency > 0 ? options.max_concurrency : connections;
    b = std::make_unique<ConcurrencyLimitBackend>(std::move(b), n);
  }
  if (options.retry) b = std::make_unique<RetryBackend>(std::move(b), options.retry_options);
  if (options.logging) {
    b = std::make_unique<LoggingBackend>(std::move(b),
                                         options.logger ? *options.logger : DefaultLogger());
  }
  return b;
}

}  // namespace custos
