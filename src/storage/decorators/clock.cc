#include "storage/decorators/clock.h"

#include <condition_variable>

namespace custos {
namespace {

class RealClock : public Clock {
 public:
  TimePoint Now() override { return std::chrono::steady_clock::now(); }

  bool SleepFor(Duration d, const std::stop_token& stop) override {
    if (stop.stop_requested()) return false;
    if (d <= Duration::zero()) return true;
    // Each call has its own mutex and condition variable: a stop request
    // wakes exactly the waits that observe that token.
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lock(mu);
    return !cv.wait_for(lock, stop, d, [] { return false; });
  }
};

}  // namespace

Clock& SystemClock() {
  static RealClock* clock = new RealClock();
  return *clock;
}

Clock::TimePoint FakeClock::Now() {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

bool FakeClock::SleepFor(Duration d, const std::stop_token& stop) {
  if (stop.stop_requested()) return false;
  if (d <= Duration::zero()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  now_ += d;
  sleeps_.push_back(d);
  return true;
}

void FakeClock::Advance(Duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ += d;
}

std::vector<Clock::Duration> FakeClock::Sleeps() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sleeps_;
}

Clock::Duration FakeClock::TotalSlept() const {
  std::lock_guard<std::mutex> lock(mu_);
  Duration total{0};
  for (Duration d : sleeps_) total += d;
  return total;
}

}  // namespace custos
