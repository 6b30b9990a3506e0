// FaultInjectionBackend: makes the wrapped backend misbehave on purpose, by
// rules, so tests can check that the layers above cope (the retry decorator,
// the vault's integrity checks, prune's cleanup of leftovers).
//
// Rules
// - A rule matches a call by operation (save, load, stat, list, remove, or
//   any of these five; Create and RemoveIncomplete are never faulted) and by
//   an optional prefix of the object name (for List: of the listed prefix).
// - A matching rule fires with `probability` (a seeded generator, so a run is
//   reproducible), at most `count` times (-1 = no limit). So count=2 alone
//   means "the first two matching calls".
// - A firing rule applies its effects, in this order:
//     delay        sleep first (on the injectable clock);
//     error        fail the call with this code (and retry_after for
//                  Retryable) without calling the wrapped backend;
//     lie          (save) report success without storing anything;
//     fail_after   (save) the source fails with `error` (default Retryable)
//                  once N bytes were read; when Properties().atomic_replace
//                  is false the first N bytes are then left stored under the
//                  name, as a non-atomic store would;
//     truncate     (load) the Reader ends cleanly after N bytes of the range,
//                  as a connection that closed early without an error.
//   Every matching rule is considered on every call in order; the first
//   error ends the call, delays and other effects add up.
// - Injected errors say "injected fault" and name the operation and object.
//
// Text spec (for CUSTOS_FAULTS-style environment variables in integration
// tests), e.g.
//   save:error=retryable,count=2;load:prefix=data/,truncate=100;save:lie,count=1;any:delay_ms=50
// Grammar (whitespace around tokens is ignored; empty clauses are skipped):
//   spec   := clause { ";" clause }
//   clause := op [ ":" param { "," param } ]
//           | "seed=" uint                 generator seed (default 1)
//           | "atomic_replace=" bool       report this in Properties()
//   op     := save | load | stat | list | remove | any
//   param  := "error=" code                code as CodeId(): retryable,
//                                          not_found, io_error, corruption,
//                                          permission_denied, no_space, ...
//           | "retry_after_ms=" uint       needs error=retryable (or fail_after)
//           | "count=" uint
//           | "p=" real                    probability in [0, 1]
//           | "prefix=" text
//           | "delay_ms=" uint
//           | "lie"                        save only
//           | "fail_after=" uint           save only
//           | "truncate=" uint             load only
//   bool   := true | false
// A clause needs at least one effect (error, delay_ms, lie, fail_after,
// truncate). Anything else is InvalidArgument naming the offending token.
//
// Thread-safety: safe for any number of threads; rule state is locked.
// Lifetime: options.clock (when set) must outlive the decorator.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/backend.h"
#include "storage/decorators/clock.h"

namespace custos {

enum class FaultOp { kSave, kLoad, kStat, kList, kRemove, kAny };

struct FaultRule {
  FaultOp op = FaultOp::kAny;
  std::string prefix;  // "" matches every name
  // When it fires.
  int64_t count = -1;  // at most this many times; -1 = unlimited
  double probability = 1.0;
  // What it does.
  std::chrono::milliseconds delay{0};
  std::optional<Code> error;
  std::optional<std::chrono::milliseconds> retry_after;
  bool lie = false;
  std::optional<uint64_t> fail_after;
  std::optional<uint64_t> truncate;
};

struct FaultOptions {
  std::vector<FaultRule> rules;
  uint64_t seed = 1;
  std::optional<bool> atomic_replace;  // overrides the wrapped backend's
  Clock* clock = nullptr;              // nullptr = SystemClock()
};

// Parses the text spec above. InvalidArgument names the bad token.
Result<FaultOptions> ParseFaultSpec(std::string_view spec);

class FaultInjectionBackend : public BackendWrapper {
 public:
  FaultInjectionBackend(std::unique_ptr<Backend> inner, FaultOptions options);

  const BackendProperties& Properties() const override { return properties_; }
  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;
  Result<ObjectInfo> Stat(const std::string& name) override;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override;
  Status Remove(const std::string& name) override;

  // How many times rule i fired so far.
  int64_t Fired(size_t rule) const;

 private:
  // The combined effects of the rules that fired for one call.
  struct Effects {
    std::chrono::milliseconds delay{0};
    Status error;
    bool lie = false;
    std::optional<uint64_t> fail_after;
    Code fail_code = Code::kRetryable;
    std::optional<std::chrono::milliseconds> fail_retry_after;
    std::optional<uint64_t> truncate;
  };

  // Decides which rules fire, sleeps their delays and returns the rest.
  Effects Apply(FaultOp op, const char* op_name, const std::string& name);

  FaultOptions options_;
  Clock& clock_;
  BackendProperties properties_;
  mutable std::mutex mu_;
  std::mt19937_64 rng_;         // guarded by mu_
  std::vector<int64_t> fired_;  // guarded by mu_
};

}  // namespace custos
