// The Backend conformance suite (backend_conformance.cc) run against every
// storage decorator wrapped around the in-memory backend, against the full
// decorator stack, and against injected transient faults under retry: a
// decorator must be invisible to a caller except for what it is for.
#include <atomic>
#include <memory>
#include <string>

#include "backend_conformance.h"
#include "base/log.h"
#include "base/metrics.h"
#include "storage/decorators/bandwidth_limit.h"
#include "storage/decorators/concurrency_limit.h"
#include "storage/decorators/fault_injection.h"
#include "storage/decorators/logging.h"
#include "storage/decorators/metrics_backend.h"
#include "storage/decorators/retry.h"
#include "storage/decorators/stack.h"
#include "storage/providers/memory/memory_backend.h"

namespace custos {
namespace {

std::unique_ptr<Backend> Memory(const std::string& prefix) {
  return std::make_unique<MemoryBackend>(prefix);
}

// A factory returning nullptr would make the suite skip; a decorator that
// cannot be built is a failure instead.
std::unique_ptr<Backend> OrFail(Result<std::unique_ptr<Backend>> r) {
  if (r.ok()) return std::move(*r);
  ADD_FAILURE() << "cannot build the backend: " << r.status().ToString();
  return nullptr;
}

std::unique_ptr<Backend> Faults(std::unique_ptr<Backend> inner, std::string_view spec) {
  auto rules = ParseFaultSpec(spec);
  if (!rules.ok()) return OrFail(rules.status());
  return std::make_unique<FaultInjectionBackend>(std::move(inner), std::move(*rules));
}

// Fast waits: the suite must not take minutes; 20 attempts make a run of
// injected failures (p = 0.2 each) that outlasts them vanishingly unlikely.
RetryOptions FastRetry() {
  RetryOptions o;
  o.base_delay = std::chrono::milliseconds(1);
  o.max_delay = std::chrono::milliseconds(5);
  o.max_attempts = 20;
  return o;
}

// Formats every record at debug level (so the logging path runs in full) and
// throws the lines away.
Logger& QuietDebugLogger() {
  static Logger* logger = [] {
    auto* l = new Logger();
    l->SetLevel(LogLevel::kDebug);
    l->SetSink([](std::string_view) {});
    return l;
  }();
  return *logger;
}

// High enough to keep the suite quick (it moves ~60 MiB), low enough that the
// buckets really make callers wait.
constexpr uint64_t kRate = 64 << 20;

std::unique_ptr<Backend> MakeRetry(const std::string& prefix) {
  return std::make_unique<RetryBackend>(Memory(prefix), FastRetry());
}

std::unique_ptr<Backend> MakeConcurrency(const std::string& prefix) {
  return std::make_unique<ConcurrencyLimitBackend>(Memory(prefix), 2);
}

std::unique_ptr<Backend> MakeBandwidth(const std::string& prefix) {
  BandwidthOptions o;
  o.upload_bytes_per_second = kRate;
  o.download_bytes_per_second = kRate;
  return std::make_unique<BandwidthLimitBackend>(Memory(prefix), o);
}

std::unique_ptr<Backend> MakeMetrics(const std::string& prefix) {
  static MetricsRegistry* registry = new MetricsRegistry();
  return std::make_unique<MetricsBackend>(Memory(prefix), "conformance", *registry);
}

std::unique_ptr<Backend> MakeLogging(const std::string& prefix) {
  return std::make_unique<LoggingBackend>(Memory(prefix), QuietDebugLogger());
}

// Rules that never fire on the suite's names (or never at all, p=0): the
// decision path runs on every call, and nothing may change.
std::unique_ptr<Backend> MakeFaultNoop(const std::string& prefix) {
  return Faults(Memory(prefix),
                "save:prefix=never/,error=io_error;load:prefix=never/,truncate=1;"
                "any:prefix=never/,delay_ms=1;stat:error=retryable,p=0");
}

// Transient failures on every operation, one in five calls, under retry.
std::unique_ptr<Backend> MakeFaultUnderRetry(const std::string& prefix) {
  return std::make_unique<RetryBackend>(
      Faults(Memory(prefix), "seed=7;any:error=retryable,retry_after_ms=1,p=0.2"), FastRetry());
}

StackOptions FullStackOptions() {
  StackOptions o;
  o.retry_options = FastRetry();
  o.max_concurrency = 4;
  o.upload_bytes_per_second = kRate;
  o.download_bytes_per_second = kRate;
  o.backend_label = "conformance_stack";
  static MetricsRegistry* registry = new MetricsRegistry();
  o.registry = registry;
  o.logger = &QuietDebugLogger();
  return o;
}

std::unique_ptr<Backend> MakeStack(const std::string& prefix) {
  return OrFail(StackDecorators(Memory(prefix), FullStackOptions()));
}

// The full stack over a store that fails transiently, breaks uploads half
// way and, claiming not to replace atomically, leaves the pieces behind.
MetricsRegistry& FaultyStackRegistry() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}
std::atomic<int> faulty_stacks_made{0};

std::unique_ptr<Backend> MakeStackWithFaults(const std::string& prefix) {
  ++faulty_stacks_made;
  StackOptions o = FullStackOptions();
  o.backend_label = "conformance_faults";
  o.registry = &FaultyStackRegistry();
  o.fault_spec =
      "seed=11;atomic_replace=false;any:error=retryable,p=0.1;save:fail_after=1000,p=0.1";
  return OrFail(StackDecorators(Memory(prefix), o));
}

// A suite that passes because no fault ever fired would prove nothing: after
// the run, the faulty stack's metrics must show injected errors and the
// retry's removal of partial uploads.
class FaultsFiredCheck : public ::testing::Environment {
 public:
  void TearDown() override {
    // Only when every test ran on it (a filtered run makes too few calls).
    if (faulty_stacks_made < 16) return;
    const std::string text = FaultyStackRegistry().RenderPrometheusText();
    EXPECT_NE(text.find(R"(code="retryable",op="save")"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(code="retryable",op="load")"), std::string::npos) << text;
    EXPECT_EQ(
        text.find(R"(custos_backend_requests_total{backend="conformance_faults",op="remove"} 0)"),
        std::string::npos)
        << text;
  }
};
[[maybe_unused]] ::testing::Environment* const kFaultsFiredCheck =
    ::testing::AddGlobalTestEnvironment(new FaultsFiredCheck);

INSTANTIATE_TEST_SUITE_P(
    Decorators, BackendConformanceTest,
    ::testing::Values(BackendFactory{"retry_memory", MakeRetry, nullptr},
                      BackendFactory{"concurrency_memory", MakeConcurrency, nullptr},
                      BackendFactory{"bandwidth_memory", MakeBandwidth, nullptr},
                      BackendFactory{"metrics_memory", MakeMetrics, nullptr},
                      BackendFactory{"logging_memory", MakeLogging, nullptr},
                      BackendFactory{"fault_noop_memory", MakeFaultNoop, nullptr},
                      BackendFactory{"faults_under_retry_memory", MakeFaultUnderRetry, nullptr},
                      BackendFactory{"stack_memory", MakeStack, nullptr},
                      BackendFactory{"stack_with_faults_memory", MakeStackWithFaults, nullptr}),
    BackendFactoryName);

}  // namespace
}  // namespace custos
