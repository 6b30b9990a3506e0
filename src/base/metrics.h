// Metrics: counters and histograms with label sets, rendered in the
// Prometheus text exposition format 0.0.4 (what `custos serve` answers on
// /metrics).
//
// Contract
// - A MetricsRegistry owns metric families. A family has a name, a help text,
//   a type (counter or histogram) and, for histograms, fixed bucket upper
//   bounds. Each distinct label set of a family is one series.
// - GetCounter/GetHistogram find or create a series and return a reference
//   that stays valid for the registry's lifetime. Look series up once (they
//   take a lock) and keep the reference: Increment and Observe are lock-free
//   atomics, cheap enough for every request.
// - Thread-safety: every method of every class here may be called
//   concurrently. RenderPrometheusText() reads the atomics without stopping
//   writers, so a histogram's _count may lag its buckets by an observation
//   that is still being recorded.
// - Names: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
//   [a-zA-Z_][a-zA-Z0-9_]*; any other character is replaced with '_'. Label
//   values and help texts may hold any text; they are escaped on output.
//   Label values are written to /metrics verbatim, so they must never hold
//   secrets or personal data (backend labels, operation names, codes only).
// - Registering a name that already exists with a different type or bucket
//   layout is a programming error. It does not fail the caller: it gets a
//   working series that is never exported, and the registry counts the clash
//   in custos_metrics_conflicts_total so it shows on /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace custos {

// Label name/value pairs. Order does not matter: {a,b} and {b,a} are the
// same series.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Histogram {
 public:
  // `bounds` are the buckets' inclusive upper bounds; they are sorted and
  // deduplicated here. The +Inf bucket is implicit.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds().size() is +Inf).
  uint64_t BucketCount(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Bucket bounds in seconds from 1 ms to 60 s, for request latencies.
std::vector<double> LatencyBuckets();
// n bounds start, start*factor, start*factor^2, ...
std::vector<double> ExponentialBuckets(double start, double factor, int n);

class MetricsRegistry {
 public:
  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& GetCounter(std::string_view name, std::string_view help,
                      const MetricLabels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& bounds, const MetricLabels& labels = {});

  // Every family sorted by name, every series sorted by labels, in the text
  // exposition format 0.0.4: "# HELP", "# TYPE", then samples; histograms as
  // name_bucket{...,le="..."} (cumulative, ending with le="+Inf"), name_sum
  // and name_count.
  std::string RenderPrometheusText() const;

 private:
  enum class Type { kCounter, kHistogram };
  struct Family {
    std::string help;
    Type type;
    std::vector<double> bounds;
    // Keyed by the sorted label set.
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
  };

  Family* FindOrAddFamily(const std::string& name, std::string_view help, Type type,
                          const std::vector<double>& bounds);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
  // Series handed out for clashing registrations; kept alive, never rendered.
  std::vector<std::unique_ptr<Counter>> orphan_counters_;      // guarded by mu_
  std::vector<std::unique_ptr<Histogram>> orphan_histograms_;  // guarded by mu_
  Counter* conflicts_ = nullptr;
};

// The process-wide registry that /metrics serves. Never destroyed.
MetricsRegistry& DefaultMetrics();

}  // namespace custos
