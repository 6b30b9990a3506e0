#include "storage/decorators/metrics_backend.h"

#include <chrono>

#include "storage/decorators/code_names.h"

namespace custos {
namespace {

constexpr const char* kOpNames[] = {"create",           "save", "load", "stat", "list", "remove",
                                    "remove_incomplete"};

class CountingReader : public Reader {
 public:
  CountingReader(Reader& r, Counter& bytes) : r_(r), bytes_(bytes) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, r_.Read(buf, n));
    bytes_.Increment(got);
    return got;
  }

 private:
  Reader& r_;
  Counter& bytes_;
};

}  // namespace

// Measures one call; Done() records its outcome and latency.
class MetricsBackend::Timer {
 public:
  Timer(MetricsBackend& mb, Op op) : mb_(mb), op_(op), start_(std::chrono::steady_clock::now()) {}
  Status Done(Status st) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
    mb_.Record(op_, st, took.count());
    return st;
  }

 private:
  MetricsBackend& mb_;
  const Op op_;
  const std::chrono::steady_clock::time_point start_;
};

MetricsBackend::MetricsBackend(std::unique_ptr<Backend> inner, std::string backend_label,
                               MetricsRegistry& registry)
    : BackendWrapper(std::move(inner)), label_(std::move(backend_label)), registry_(registry) {
  for (int op = 0; op < kNumOps; ++op) {
    const MetricLabels labels = {{"backend", label_}, {"op", kOpNames[op]}};
    ops_[op].requests = &registry_.GetCounter("custos_backend_requests_total",
                                              "Storage backend calls made.", labels);
    ops_[op].latency = &registry_.GetHistogram("custos_backend_request_duration_seconds",
                                               "Storage backend call latency in seconds.",
                                               LatencyBuckets(), labels);
  }
  uploaded_ = &registry_.GetCounter("custos_backend_uploaded_bytes_total",
                                    "Bytes stored by successful Saves.", {{"backend", label_}});
  downloaded_ =
      &registry_.GetCounter("custos_backend_downloaded_bytes_total",
                            "Bytes read from the backend by Loads.", {{"backend", label_}});
}

void MetricsBackend::Record(Op op, const Status& st, double seconds) {
  ops_[op].requests->Increment();
  ops_[op].latency->Observe(seconds);
  if (!st.ok()) {
    registry_
        .GetCounter(
            "custos_backend_errors_total", "Storage backend calls that failed, by code.",
            {{"backend", label_}, {"op", kOpNames[op]}, {"code", std::string(CodeId(st.code()))}})
        .Increment();
  }
}

Status MetricsBackend::Create() {
  Timer t(*this, kCreate);
  return t.Done(inner().Create());
}

Status MetricsBackend::Save(const std::string& name, ByteSource& src) {
  Timer t(*this, kSave);
  Status st = t.Done(inner().Save(name, src));
  if (st.ok()) uploaded_->Increment(src.Length());
  return st;
}

Status MetricsBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                            const LoadConsumer& consumer) {
  Timer t(*this, kLoad);
  return t.Done(inner().Load(name, offset, length, [&](Reader& r) {
    CountingReader counting(r, *downloaded_);
    return consumer(counting);
  }));
}

Result<ObjectInfo> MetricsBackend::Stat(const std::string& name) {
  Timer t(*this, kStat);
  Result<ObjectInfo> r = inner().Stat(name);
  (void)t.Done(r.status());
  return r;
}

Status MetricsBackend::List(const std::string& prefix,
                            const std::function<Status(const ObjectInfo&)>& fn) {
  Timer t(*this, kList);
  return t.Done(inner().List(prefix, fn));
}

Status MetricsBackend::Remove(const std::string& name) {
  Timer t(*this, kRemove);
  return t.Done(inner().Remove(name));
}

Result<uint64_t> MetricsBackend::RemoveIncomplete(std::chrono::seconds min_age) {
  Timer t(*this, kRemoveIncomplete);
  Result<uint64_t> r = inner().RemoveIncomplete(min_age);
  (void)t.Done(r.status());
  return r;
}

}  // namespace custos
