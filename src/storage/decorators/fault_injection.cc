#include "storage/decorators/fault_injection.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>

#include "storage/decorators/code_names.h"

namespace custos {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.push_back(Trim(s.substr(start, at == std::string_view::npos ? at : at - start)));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

Status BadToken(std::string_view token, std::string_view why) {
  return Status::InvalidArgument("fault spec: bad token '" + std::string(token) +
                                 "': " + std::string(why));
}

Result<uint64_t> ParseUint(std::string_view token, std::string_view value) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    return BadToken(token, "expected a non-negative integer");
  }
  return v;
}

std::optional<FaultOp> ParseOp(std::string_view s) {
  if (s == "save") return FaultOp::kSave;
  if (s == "load") return FaultOp::kLoad;
  if (s == "stat") return FaultOp::kStat;
  if (s == "list") return FaultOp::kList;
  if (s == "remove") return FaultOp::kRemove;
  if (s == "any") return FaultOp::kAny;
  return std::nullopt;
}

Status ParseParam(std::string_view token, FaultRule& rule) {
  if (token == "lie") {
    if (rule.op != FaultOp::kSave) return BadToken(token, "lie applies to save only");
    rule.lie = true;
    return Status::OK();
  }
  const size_t eq = token.find('=');
  if (eq == std::string_view::npos) return BadToken(token, "expected key=value or lie");
  const std::string_view key = Trim(token.substr(0, eq));
  const std::string_view value = Trim(token.substr(eq + 1));
  if (key == "error") {
    std::optional<Code> code = CodeFromId(value);
    if (!code || *code == Code::kOk) return BadToken(token, "unknown error code");
    rule.error = code;
  } else if (key == "retry_after_ms") {
    ASSIGN_OR_RETURN(uint64_t ms, ParseUint(token, value));
    rule.retry_after = std::chrono::milliseconds(ms);
  } else if (key == "count") {
    ASSIGN_OR_RETURN(uint64_t n, ParseUint(token, value));
    if (n > static_cast<uint64_t>(INT64_MAX)) return BadToken(token, "count too large");
    rule.count = static_cast<int64_t>(n);
  } else if (key == "p" || key == "probability") {
    double p = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), p);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !(p >= 0) ||
        p > 1) {
      return BadToken(token, "expected a probability between 0 and 1");
    }
    rule.probability = p;
  } else if (key == "prefix") {
    rule.prefix = std::string(value);
  } else if (key == "delay_ms") {
    ASSIGN_OR_RETURN(uint64_t ms, ParseUint(token, value));
    rule.delay = std::chrono::milliseconds(ms);
  } else if (key == "fail_after") {
    if (rule.op != FaultOp::kSave) return BadToken(token, "fail_after applies to save only");
    ASSIGN_OR_RETURN(uint64_t n, ParseUint(token, value));
    rule.fail_after = n;
  } else if (key == "truncate") {
    if (rule.op != FaultOp::kLoad) return BadToken(token, "truncate applies to load only");
    ASSIGN_OR_RETURN(uint64_t n, ParseUint(token, value));
    rule.truncate = n;
  } else {
    return BadToken(token, "unknown parameter");
  }
  return Status::OK();
}

Status ParseClause(std::string_view clause, FaultOptions& out) {
  if (clause.starts_with("seed=")) {
    ASSIGN_OR_RETURN(out.seed, ParseUint(clause, Trim(clause.substr(5))));
    return Status::OK();
  }
  if (clause.starts_with("atomic_replace=")) {
    std::string_view v = Trim(clause.substr(15));
    if (v != "true" && v != "false") return BadToken(clause, "expected true or false");
    out.atomic_replace = v == "true";
    return Status::OK();
  }
  const size_t colon = clause.find(':');
  const std::string_view op_text = Trim(clause.substr(0, colon));
  std::optional<FaultOp> op = ParseOp(op_text);
  if (!op) return BadToken(op_text, "unknown operation (save, load, stat, list, remove, any)");
  FaultRule rule;
  rule.op = *op;
  if (colon != std::string_view::npos) {
    for (std::string_view param : Split(clause.substr(colon + 1), ',')) {
      if (param.empty()) return BadToken(clause, "empty parameter");
      RETURN_IF_ERROR(ParseParam(param, rule));
    }
  }
  if (!rule.error && rule.delay.count() == 0 && !rule.lie && !rule.fail_after && !rule.truncate) {
    return BadToken(clause, "the rule has no effect (error, delay_ms, lie, fail_after, truncate)");
  }
  const bool retryable = rule.error ? *rule.error == Code::kRetryable : rule.fail_after.has_value();
  if (rule.retry_after && !retryable) {
    return BadToken(clause, "retry_after_ms needs error=retryable");
  }
  out.rules.push_back(std::move(rule));
  return Status::OK();
}

Status InjectedError(Code code, std::optional<std::chrono::milliseconds> retry_after,
                     const char* op, const std::string& name, std::string_view detail = {}) {
  std::string msg = std::string("injected fault: ") + op + " " + name;
  if (!detail.empty()) msg += std::string(": ") + std::string(detail);
  if (code == Code::kRetryable) return Status::Retryable(std::move(msg), retry_after);
  return Status(code, std::move(msg));
}

// Fails with `error` once `limit` bytes were read (when the source has more),
// keeping the bytes read so far.
class CuttingSource : public ByteSource {
 public:
  CuttingSource(ByteSource& src, uint64_t limit, Status error)
      : src_(src), limit_(limit), error_(std::move(error)) {}
  uint64_t Length() const override { return src_.Length(); }
  std::optional<Hash256> Sha256() const override { return src_.Sha256(); }
  Status Rewind() override {
    pos_ = 0;
    partial_.clear();
    return src_.Rewind();
  }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (limit_ < src_.Length() && pos_ >= limit_) {
      cut_ = true;
      return error_;
    }
    size_t want =
        limit_ < src_.Length() ? static_cast<size_t>(std::min<uint64_t>(n, limit_ - pos_)) : n;
    ASSIGN_OR_RETURN(size_t got, src_.Read(buf, want));
    if (limit_ < src_.Length() && pos_ < limit_) {
      partial_.insert(partial_.end(), buf, buf + std::min<uint64_t>(got, limit_ - pos_));
    }
    pos_ += got;
    return got;
  }
  bool cut() const { return cut_; }
  const Bytes& partial() const { return partial_; }

 private:
  ByteSource& src_;
  const uint64_t limit_;
  const Status error_;
  uint64_t pos_ = 0;
  bool cut_ = false;
  Bytes partial_;
};

// Ends cleanly after `limit` bytes.
class TruncatingReader : public Reader {
 public:
  TruncatingReader(Reader& r, uint64_t limit) : r_(r), left_(limit) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    if (left_ == 0 || n == 0) return size_t{0};
    ASSIGN_OR_RETURN(size_t got, r_.Read(buf, static_cast<size_t>(std::min<uint64_t>(n, left_))));
    left_ -= got;
    return got;
  }

 private:
  Reader& r_;
  uint64_t left_;
};

}  // namespace

Result<FaultOptions> ParseFaultSpec(std::string_view spec) {
  FaultOptions out;
  for (std::string_view clause : Split(spec, ';')) {
    if (clause.empty()) continue;
    RETURN_IF_ERROR(ParseClause(clause, out));
  }
  return out;
}

FaultInjectionBackend::FaultInjectionBackend(std::unique_ptr<Backend> inner, FaultOptions options)
    : BackendWrapper(std::move(inner)),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock()),
      properties_(BackendWrapper::Properties()),
      rng_(options_.seed),
      fired_(options_.rules.size(), 0) {
  if (options_.atomic_replace) properties_.atomic_replace = *options_.atomic_replace;
}

int64_t FaultInjectionBackend::Fired(size_t rule) const {
  std::lock_guard<std::mutex> lock(mu_);
  return rule < fired_.size() ? fired_[rule] : 0;
}

FaultInjectionBackend::Effects FaultInjectionBackend::Apply(FaultOp op, const char* op_name,
                                                            const std::string& name) {
  Effects e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < options_.rules.size(); ++i) {
      const FaultRule& r = options_.rules[i];
      if (r.op != FaultOp::kAny && r.op != op) continue;
      if (!name.starts_with(r.prefix)) continue;
      if (r.count >= 0 && fired_[i] >= r.count) continue;
      if (r.probability < 1.0 &&
          std::uniform_real_distribution<double>(0, 1)(rng_) >= r.probability) {
        continue;
      }
      ++fired_[i];
      e.delay += r.delay;
      if (op == FaultOp::kSave && r.fail_after) {
        if (!e.fail_after || *r.fail_after < *e.fail_after) {
          e.fail_after = r.fail_after;
          e.fail_code = r.error.value_or(Code::kRetryable);
          e.fail_retry_after = r.retry_after;
        }
      } else if (r.error && e.error.ok()) {
        e.error = InjectedError(*r.error, r.retry_after, op_name, name);
      }
      if (op == FaultOp::kSave && r.lie) e.lie = true;
      if (op == FaultOp::kLoad && r.truncate) {
        e.truncate = std::min(e.truncate.value_or(UINT64_MAX), *r.truncate);
      }
    }
  }
  if (e.delay.count() > 0) clock_.SleepFor(e.delay);
  return e;
}

Status FaultInjectionBackend::Save(const std::string& name, ByteSource& src) {
  Effects e = Apply(FaultOp::kSave, "save", name);
  if (!e.error.ok()) return e.error;
  if (e.lie) return Status::OK();
  if (!e.fail_after) return inner().Save(name, src);

  CuttingSource cutting(
      src, *e.fail_after,
      InjectedError(e.fail_code, e.fail_retry_after, "save", name,
                    "source cut after " + std::to_string(*e.fail_after) + " bytes"));
  Status st = inner().Save(name, cutting);
  if (!st.ok() && cutting.cut() && !properties_.atomic_replace) {
    // What a non-atomic store leaves behind after a broken upload.
    BufferSource partial(cutting.partial());
    Status left = inner().Save(name, partial);
    if (!left.ok()) return st.WithContext("leaving the partial object failed too");
  }
  return st;
}

Status FaultInjectionBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                                   const LoadConsumer& consumer) {
  Effects e = Apply(FaultOp::kLoad, "load", name);
  if (!e.error.ok()) return e.error;
  if (!e.truncate) return inner().Load(name, offset, length, consumer);
  const uint64_t limit = *e.truncate;
  return inner().Load(name, offset, length, [&](Reader& r) {
    TruncatingReader truncated(r, limit);
    return consumer(truncated);
  });
}

Result<ObjectInfo> FaultInjectionBackend::Stat(const std::string& name) {
  Effects e = Apply(FaultOp::kStat, "stat", name);
  if (!e.error.ok()) return e.error;
  return inner().Stat(name);
}

Status FaultInjectionBackend::List(const std::string& prefix,
                                   const std::function<Status(const ObjectInfo&)>& fn) {
  Effects e = Apply(FaultOp::kList, "list", prefix);
  if (!e.error.ok()) return e.error;
  return inner().List(prefix, fn);
}

Status FaultInjectionBackend::Remove(const std::string& name) {
  Effects e = Apply(FaultOp::kRemove, "remove", name);
  if (!e.error.ok()) return e.error;
  return inner().Remove(name);
}

}  // namespace custos
