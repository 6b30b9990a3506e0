// BandwidthLimitBackend: caps the bytes per second uploaded (read from Save
// sources) and downloaded (read from Load readers), with separate token
// buckets shared by every thread using this backend.
//
// Contract
// - A rate of 0 leaves that direction unlimited and untouched (the source's
//   Contiguous() fast path stays available). A limited upload hides
//   Contiguous() so the backend must stream the source through the limiter.
// - Bytes are accounted after they were read; a reader that got ahead of the
//   rate sleeps the debt off before its next read returns, so the long-run
//   rate never exceeds the limit, and each bucket allows a burst of a quarter
//   of a second's worth of bytes (at least 64 KiB).
// - Metadata calls (Stat, List, Remove, Create) are not limited.
// - Thread-safety: safe for any number of threads; the buckets are locked.
// Lifetime: options.clock (when set) must outlive the decorator.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "storage/backend.h"
#include "storage/decorators/clock.h"

namespace custos {

// A token bucket of bytes. Thread-safe.
class TokenBucket {
 public:
  // burst 0 picks max(64 KiB, bytes_per_second / 4). bytes_per_second > 0.
  TokenBucket(uint64_t bytes_per_second, Clock& clock, uint64_t burst = 0);

  // Accounts n bytes and sleeps as long as the rate requires. Returns false
  // when `stop` ended the sleep early.
  bool Take(uint64_t n, const std::stop_token& stop = {});

  uint64_t rate() const { return rate_; }
  uint64_t burst() const { return burst_; }

 private:
  const uint64_t rate_;
  const uint64_t burst_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;          // guarded by mu_; negative = debt
  Clock::TimePoint last_;  // guarded by mu_
};

struct BandwidthOptions {
  uint64_t upload_bytes_per_second = 0;    // 0 = unlimited
  uint64_t download_bytes_per_second = 0;  // 0 = unlimited
  Clock* clock = nullptr;                  // nullptr = SystemClock()
};

class BandwidthLimitBackend : public BackendWrapper {
 public:
  BandwidthLimitBackend(std::unique_ptr<Backend> inner, const BandwidthOptions& options);

  Status Save(const std::string& name, ByteSource& src) override;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override;

 private:
  std::unique_ptr<TokenBucket> upload_;    // null = unlimited
  std::unique_ptr<TokenBucket> download_;  // null = unlimited
};

}  // namespace custos
