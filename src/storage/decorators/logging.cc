#include "storage/decorators/logging.h"

#include <chrono>
#include <vector>

#include "storage/decorators/code_names.h"
#include "storage/redact.h"

namespace custos {
namespace {

class CountingReader : public Reader {
 public:
  explicit CountingReader(Reader& r) : r_(r) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, r_.Read(buf, n));
    bytes_ += got;
    return got;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  Reader& r_;
  uint64_t bytes_ = 0;
};

}  // namespace

// One call: measures it and logs its outcome with the fields gathered.
class LoggingBackend::Call {
 public:
  Call(LoggingBackend& lb, const char* op) : lb_(lb), op_(op), start_(Now()) {}

  Call& Add(LogField field) {
    fields_.push_back(std::move(field));
    return *this;
  }

  Status Done(Status st) {
    const LogLevel level = st.ok() || st.IsNotFound() ? LogLevel::kDebug : LogLevel::kWarn;
    if (!lb_.logger_.Enabled(level)) return st;
    const std::chrono::duration<double, std::milli> took = Now() - start_;
    std::vector<LogField> fields = {{"op", op_}, {"location", lb_.location_}};
    for (LogField& f : fields_) fields.push_back(std::move(f));
    fields.emplace_back("duration_ms", took.count());
    fields.emplace_back("outcome", st.ok() ? std::string("ok") : std::string(CodeId(st.code())));
    if (!st.ok()) fields.emplace_back("error", st.message());
    lb_.logger_.Log(level, st.ok() ? "storage call" : "storage call failed", fields);
    return st;
  }

 private:
  static std::chrono::steady_clock::time_point Now() { return std::chrono::steady_clock::now(); }

  LoggingBackend& lb_;
  const char* op_;
  const std::chrono::steady_clock::time_point start_;
  std::vector<LogField> fields_;
};

LoggingBackend::LoggingBackend(std::unique_ptr<Backend> inner, Logger& logger)
    : BackendWrapper(std::move(inner)),
      logger_(logger),
      location_(RedactUrl(BackendWrapper::Location())) {}

Status LoggingBackend::Create() {
  Call call(*this, "create");
  return call.Done(inner().Create());
}

Status LoggingBackend::Save(const std::string& name, ByteSource& src) {
  Call call(*this, "save");
  call.Add({"object", name}).Add({"bytes", src.Length()});
  return call.Done(inner().Save(name, src));
}

Status LoggingBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                            const LoadConsumer& consumer) {
  Call call(*this, "load");
  uint64_t bytes = 0;
  Status st = inner().Load(name, offset, length, [&](Reader& r) {
    CountingReader counting(r);
    Status inner_st = consumer(counting);
    bytes = counting.bytes();  // the last (retried) pass counts
    return inner_st;
  });
  call.Add({"object", name}).Add({"offset", offset}).Add({"length", length}).Add({"bytes", bytes});
  return call.Done(st);
}

Result<ObjectInfo> LoggingBackend::Stat(const std::string& name) {
  Call call(*this, "stat");
  call.Add({"object", name});
  Result<ObjectInfo> r = inner().Stat(name);
  if (r.ok()) call.Add({"size", r->size});
  (void)call.Done(r.status());
  return r;
}

Status LoggingBackend::List(const std::string& prefix,
                            const std::function<Status(const ObjectInfo&)>& fn) {
  Call call(*this, "list");
  uint64_t count = 0;
  Status st = inner().List(prefix, [&](const ObjectInfo& info) {
    ++count;
    return fn(info);
  });
  call.Add({"prefix", prefix}).Add({"objects", count});
  return call.Done(st);
}

Status LoggingBackend::Remove(const std::string& name) {
  Call call(*this, "remove");
  call.Add({"object", name});
  return call.Done(inner().Remove(name));
}

Result<uint64_t> LoggingBackend::RemoveIncomplete(std::chrono::seconds min_age) {
  Call call(*this, "remove_incomplete");
  call.Add({"min_age_s", static_cast<int64_t>(min_age.count())});
  Result<uint64_t> r = inner().RemoveIncomplete(min_age);
  if (r.ok()) call.Add({"removed", *r});
  (void)call.Done(r.status());
  return r;
}

}  // namespace custos
