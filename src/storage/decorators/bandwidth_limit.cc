#include "storage/decorators/bandwidth_limit.h"

#include <algorithm>
#include <chrono>

namespace custos {
namespace {

constexpr uint64_t kMinBurst = 64 * 1024;

class ThrottledSource : public ByteSource {
 public:
  ThrottledSource(ByteSource& src, TokenBucket& bucket) : src_(src), bucket_(bucket) {}
  uint64_t Length() const override { return src_.Length(); }
  std::optional<Hash256> Sha256() const override { return src_.Sha256(); }
  Status Rewind() override { return src_.Rewind(); }
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, src_.Read(buf, n));
    bucket_.Take(got);
    return got;
  }

 private:
  ByteSource& src_;
  TokenBucket& bucket_;
};

class ThrottledReader : public Reader {
 public:
  ThrottledReader(Reader& r, TokenBucket& bucket) : r_(r), bucket_(bucket) {}
  Result<size_t> Read(uint8_t* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t got, r_.Read(buf, n));
    bucket_.Take(got);
    return got;
  }

 private:
  Reader& r_;
  TokenBucket& bucket_;
};

}  // namespace

TokenBucket::TokenBucket(uint64_t bytes_per_second, Clock& clock, uint64_t burst)
    : rate_(std::max<uint64_t>(1, bytes_per_second)),
      burst_(burst ? burst : std::max(kMinBurst, rate_ / 4)),
      clock_(clock),
      tokens_(static_cast<double>(burst_)),
      last_(clock.Now()) {}

bool TokenBucket::Take(uint64_t n, const std::stop_token& stop) {
  if (n == 0) return true;
  double debt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::TimePoint now = clock_.Now();
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * static_cast<double>(rate_));
    tokens_ -= static_cast<double>(n);
    debt = -tokens_;
  }
  if (debt <= 0) return true;
  const auto wait = std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>(debt / static_cast<double>(rate_)));
  return clock_.SleepFor(wait, stop);
}

BandwidthLimitBackend::BandwidthLimitBackend(std::unique_ptr<Backend> inner,
                                             const BandwidthOptions& options)
    : BackendWrapper(std::move(inner)) {
  Clock& clock = options.clock ? *options.clock : SystemClock();
  if (options.upload_bytes_per_second > 0) {
    upload_ = std::make_unique<TokenBucket>(options.upload_bytes_per_second, clock);
  }
  if (options.download_bytes_per_second > 0) {
    download_ = std::make_unique<TokenBucket>(options.download_bytes_per_second, clock);
  }
}

Status BandwidthLimitBackend::Save(const std::string& name, ByteSource& src) {
  if (!upload_) return inner().Save(name, src);
  ThrottledSource throttled(src, *upload_);
  return inner().Save(name, throttled);
}

Status BandwidthLimitBackend::Load(const std::string& name, uint64_t offset, uint64_t length,
                                   const LoadConsumer& consumer) {
  if (!download_) return inner().Load(name, offset, length, consumer);
  return inner().Load(name, offset, length, [&](Reader& r) {
    ThrottledReader throttled(r, *download_);
    return consumer(throttled);
  });
}

}  // namespace custos
