#include "storage/decorators/retry.h"

#include <algorithm>
#include <unordered_set>

#include "base/random.h"

namespace custos {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// The same code (and retry_after) with a new message.
Status Rewrite(const Status& st, std::string message) {
  if (st.IsRetryable()) return Status::Retryable(std::move(message), st.retry_after());
  return Status(st.code(), std::move(message));
}

std::string Ms(Clock::Duration d) { return std::to_string(duration_cast<milliseconds>(d).count()); }

// Forwards to the caller's source and remembers whether it failed, so an
// error the source raised is told apart from one of the backend.
class TrackedSource : public ByteSource {
 public:
  explicit TrackedSource(ByteSource& src) : src_(src) {}
  uint64_t Length() const override { return src_.Length(); }
  std::optional<Hash256> Sha256() const override { return src_.Sha256(); }
  std::optional<ByteView> Contiguous() const override { return src_.Contiguous(); }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    Result<size_t> r = src_.Read(buf, n);
    if (!r.ok()) failed_ = true;
    return r;
  }
  Status Rewind() override {
    Status st = src_.Rewind();
    if (!st.ok()) failed_ = true;
    return st;
  }
  bool failed() const { return failed_; }

 private:
  ByteSource& src_;
  bool failed_ = false;
};

}  // namespace

// The attempts of one call: counts them, chooses and sleeps the waits, and
// builds the final error.
class RetryBackend::Attempts {
 public:
  Attempts(RetryBackend& rb, const char* op, const std::string& name)
      : rb_(rb),
        what_(name.empty() ? std::string(op) : std::string(op) + " " + name),
        start_(rb.clock_.Now()) {}

  // After a failed attempt: returns true once it has waited and the caller
  // should try again; false with *final set when the call ends.
  bool Next(const Status& st, bool retry, Status* final) {
    const std::string n = std::to_string(attempts_);
    const std::string tries = attempts_ == 1 ? "1 attempt" : n + " attempts";
    if (!retry) {
      *final = attempts_ == 1 ? st : st.WithContext(what_ + ": after " + tries);
      return false;
    }
    if (attempts_ >= std::max(1, rb_.options_.max_attempts)) {
      *final = Rewrite(st, what_ + ": gave up after " + tries + ": " + st.message());
      return false;
    }
    Clock::Duration wait = rb_.JitteredDelay(attempts_);
    if (auto hint = st.retry_after()) wait = std::max<Clock::Duration>(wait, *hint);
    const auto deadline = rb_.options_.deadline;
    if (deadline.count() > 0 && rb_.clock_.Now() - start_ + wait > deadline) {
      *final = Rewrite(st, what_ + ": gave up after " + tries + " (waiting " + Ms(wait) +
                               " ms more would pass the " + Ms(deadline) +
                               " ms deadline): " + st.message());
      return false;
    }
    if (!rb_.clock_.SleepFor(wait, rb_.options_.stop)) {
      *final = Status::Cancelled(what_ + ": cancelled while waiting to retry after " + tries +
                                 "; last error: " + st.message());
      return false;
    }
    ++attempts_;
    return true;
  }

  int attempts() const { return attempts_; }

 private:
  RetryBackend& rb_;
  const std::string what_;
  const Clock::TimePoint start_;
  int attempts_ = 1;
};

RetryBackend::RetryBackend(std::unique_ptr<Backend> inner, RetryOptions options)
    : BackendWrapper(std::move(inner)),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock()),
      rng_(options_.jitter_seed ? options_.jitter_seed : RandomU64()) {}

Clock::Duration RetryBackend::JitteredDelay(int attempt) {
  const Clock::Duration base = options_.base_delay;
  if (base.count() <= 0) return Clock::Duration::zero();
  const Clock::Duration cap_max = options_.max_delay;
  Clock::Duration cap = cap_max;
  const int shift = std::min(attempt - 1, 40);
  if (base.count() <= (cap_max.count() >> shift)) cap = base * (1LL << shift);
  if (cap.count() <= 0) return Clock::Duration::zero();
  std::uniform_int_distribution<Clock::Duration::rep> dist(0, cap.count());
  std::lock_guard<std::mutex> lock(rng_mu_);
  return Clock::Duration(dist(rng_));
}

Status RetryBackend::Create() {
  Attempts a(*this, "create", "");
  for (;;) {
    Status st = inner().Create();
    if (st.ok()) return st;
    Status final;
    if (!a.Next(st, st.IsRetryable(), &final)) return final;
  }
}

Status RetryBackend::Save(const std::string& name, ByteSource& src) {
  Attempts a(*this, "save", name);
  TrackedSource tracked(src);
  bool corruption_retried = false;
  for (;;) {
    RETURN_IF_ERROR(src.Rewind());
    Status st = inner().Save(name, tracked);
    if (st.ok()) return st;

    std::string note;
    if (!inner().Properties().atomic_replace) {
      Status removed = inner().Remove(name);
      if (!removed.ok() && !removed.IsNotFound()) {
        note = "; removing the partial object failed: " + removed.message();
      }
    }
    Status final;
    if (tracked.failed()) {
      final = st;  // the caller's source failed: not ours to retry
    } else {
      bool retry = st.IsRetryable() || (st.IsCorruption() && !corruption_retried);
      if (st.IsCorruption()) corruption_retried = true;
      if (a.Next(st, retry, &final)) continue;
    }
    return note.empty() ? final : Rewrite(final, final.message() + note);
  }
}

Status RetryBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                          const LoadConsumer& consumer) {
  Attempts a(*this, "load", name);
  for (;;) {
    Status st = inner().Load(name, offset, length, consumer);
    if (st.ok()) return st;
    Status final;
    if (!a.Next(st, st.IsRetryable(), &final)) return final;
  }
}

Result<ObjectInfo> RetryBackend::Stat(const std::string& name) {
  Attempts a(*this, "stat", name);
  for (;;) {
    Result<ObjectInfo> r = inner().Stat(name);
    if (r.ok()) return r;
    Status final;
    if (!a.Next(r.status(), r.status().IsRetryable(), &final)) return final;
  }
}

Status RetryBackend::List(const std::string& prefix,
                          const std::function<Status(const ObjectInfo&)>& fn) {
  Attempts a(*this, "list", prefix.empty() ? std::string("(all)") : prefix);
  std::unordered_set<std::string> delivered;
  bool fn_failed = false;
  auto once = [&](const ObjectInfo& info) -> Status {
    if (!delivered.insert(info.name).second) return Status::OK();
    Status st = fn(info);
    if (!st.ok()) fn_failed = true;
    return st;
  };
  for (;;) {
    Status st = inner().List(prefix, once);
    if (st.ok() || fn_failed) return st;
    Status final;
    if (!a.Next(st, st.IsRetryable(), &final)) return final;
  }
}

Status RetryBackend::Remove(const std::string& name) {
  Attempts a(*this, "remove", name);
  bool outcome_unknown = false;
  for (;;) {
    Status st = inner().Remove(name);
    if (st.ok()) return st;
    if (st.IsNotFound() && outcome_unknown) {
      return st.WithContext("remove " + name + ": not found after " + std::to_string(a.attempts()) +
                            " attempts (an earlier one whose answer was lost may have removed it)");
    }
    if (st.IsRetryable()) outcome_unknown = true;
    Status final;
    if (!a.Next(st, st.IsRetryable(), &final)) return final;
  }
}

Result<uint64_t> RetryBackend::RemoveIncomplete(std::chrono::seconds min_age) {
  Attempts a(*this, "remove-incomplete", "");
  for (;;) {
    Result<uint64_t> r = inner().RemoveIncomplete(min_age);
    if (r.ok()) return r;
    Status final;
    if (!a.Next(r.status(), r.status().IsRetryable(), &final)) return final;
  }
}

}  // namespace custos
