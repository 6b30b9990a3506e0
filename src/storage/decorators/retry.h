// RetryBackend: retries transient failures of the wrapped backend with
// exponential backoff and full jitter. The one place in Custos that retries
// storage calls (providers never retry internally).
//
// Which errors are retried
// - The backend classifies its errors (storage/backend.h); this decorator
//   retries exactly those it marked Code::kRetryable. Everything else is
//   permanent and returned at once, unchanged (NotFound, PermissionDenied...).
// - Corruption from Save is retried once: a store that checks the uploaded
//   hash reports transport damage as Corruption, and one more attempt tells a
//   damaged upload from a source whose bytes really do not match its length
//   or hash (which fails the same way again and is then returned).
// - An error raised by the caller's own ByteSource during Save is returned
//   as is, never retried: the source belongs to the caller, who decides
//   whether reading it again makes sense.
// - A List callback's error is returned as is, never retried.
//
// How it waits
// - Before attempt k+1 it waits a uniformly random time in
//   [0, min(max_delay, base_delay * 2^(k-1))] ("full jitter"), but at least
//   the error's retry_after() when the backend passed the server's hint.
// - It gives up after max_attempts attempts, or when the next wait would end
//   past the call's deadline (started when the call began; it does not sleep
//   uselessly until the deadline). The error then keeps the last error's code
//   (and retry_after) and says how many attempts were made and why it
//   stopped: "save data/ab/x: gave up after 5 attempts: <last error>".
// - A stop request on options.stop ends a wait at once with Cancelled.
//
// Per operation
// - Save rewinds the source before every attempt. When the backend's
//   Properties().atomic_replace is false, a failed attempt may leave a partial
//   object, so after every failed attempt (before the next one, and before
//   giving up) it removes the object, ignoring NotFound. On such backends a
//   failed Save therefore leaves no object of that name, even one that existed
//   before (vault objects are immutable, so only a replacing Save loses the
//   old version, which a non-atomic store had already destroyed).
// - Load calls the consumer again on each attempt (the Backend contract makes
//   consumers idempotent); a Retryable error that reached the consumer
//   through the Reader is retried like any other.
// - List delivers each name at most once per call: a retried listing skips
//   the names that an earlier attempt already passed to the callback (the
//   names delivered are kept in memory for the duration of the call).
// - Remove: NotFound stays NotFound (the contract's answer for a missing
//   object). When an earlier attempt ended Retryable, its outcome is unknown
//   and it may have been the one that removed the object; the message then
//   says so, and callers that only want the object gone treat NotFound as
//   success.
// - Stat, Create and RemoveIncomplete are retried plainly.
//
// Thread-safety: as the wrapped backend; the jitter generator is locked.
// Lifetime: options.clock (when set) must outlive the decorator.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

#include "storage/backend.h"
#include "storage/decorators/clock.h"

namespace custos {

struct RetryOptions {
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{30'000};
  int max_attempts = 8;  // including the first; values < 1 count as 1
  // The longest one call may take, waits included; zero means no deadline.
  std::chrono::milliseconds deadline{std::chrono::minutes(5)};
  std::stop_token stop;      // a stop request cancels waits
  Clock* clock = nullptr;    // nullptr = SystemClock()
  uint64_t jitter_seed = 0;  // 0 = seeded from the OS
};

class RetryBackend : public BackendWrapper {
 public:
  RetryBackend(std::unique_ptr<Backend> inner, RetryOptions options);

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
  class Attempts;
  friend class Attempts;

  Clock::Duration JitteredDelay(int attempt);

  RetryOptions options_;
  Clock& clock_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_
};

}  // namespace custos
