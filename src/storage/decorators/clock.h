// Clock: time and sleeping for the decorators, injectable so tests run in
// virtual time and can assert the waits chosen.
//
// Contract
// - Now() is monotonic. SleepFor() blocks for about `d` and returns true, or
//   returns false as soon as `stop` is requested (at once if it already is).
//   A non-positive `d` returns immediately (true unless stop is requested).
// - Thread-safety: both implementations may be used from many threads.
// - SystemClock() lives for the whole process. A FakeClock must outlive every
//   decorator that was given it.
#pragma once

#include <chrono>
#include <mutex>
#include <stop_token>
#include <vector>

namespace custos {

class Clock {
 public:
  using Duration = std::chrono::nanoseconds;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  virtual bool SleepFor(Duration d, const std::stop_token& stop = {}) = 0;
};

// steady_clock and a condition-variable wait that a stop request wakes.
Clock& SystemClock();

// Virtual time: SleepFor advances Now() by `d` at once and records `d`.
class FakeClock : public Clock {
 public:
  TimePoint Now() override;
  bool SleepFor(Duration d, const std::stop_token& stop = {}) override;
  void Advance(Duration d);
  // Every positive duration passed to SleepFor, in call order.
  std::vector<Duration> Sleeps() const;
  Duration TotalSlept() const;

 private:
  mutable std::mutex mu_;
  TimePoint now_{};               // guarded by mu_
  std::vector<Duration> sleeps_;  // guarded by mu_
};

}  // namespace custos
