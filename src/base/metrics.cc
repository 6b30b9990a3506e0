#include "base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace custos {
namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

std::string SanitizeName(std::string_view name, bool allow_colon) {
  std::string out(name);
  if (out.empty()) out = "_";
  for (size_t i = 0; i < out.size(); ++i) {
    if (!IsNameChar(out[i], i == 0, allow_colon)) out[i] = '_';
  }
  return out;
}

MetricLabels NormalizeLabels(const MetricLabels& labels) {
  MetricLabels out;
  out.reserve(labels.size());
  for (const auto& [name, value] : labels) out.emplace_back(SanitizeName(name, false), value);
  std::sort(out.begin(), out.end());
  return out;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

// Help text: backslash and newline are escaped.
std::string EscapeHelp(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Label values: backslash, double quote and newline are escaped.
std::string EscapeLabelValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"') {
      out += "\\\"";
    } else {
      out += EscapeHelp(std::string_view(&c, 1));
    }
  }
  return out;
}

// {a="1",b="2"} with an optional extra label last (le for buckets); empty
// when there are no labels at all.
std::string RenderLabels(const MetricLabels& labels, std::string_view extra_name = {},
                         std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) out += ',';
    first = false;
    out.append(name);
    out += "=\"";
    out += EscapeLabelValue(value);
    out += '"';
  };
  for (const auto& [name, value] : labels) add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out += '}';
  return out;
}

std::vector<double> NormalizeBounds(std::vector<double> bounds) {
  bounds.erase(std::remove_if(bounds.begin(), bounds.end(),
                              [](double b) { return std::isnan(b) || std::isinf(b); }),
               bounds.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(NormalizeBounds(std::move(bounds))),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  // First bucket whose upper bound is >= value; NaN lands in +Inf.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  if (std::isnan(value)) i = bounds_.size();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> ExponentialBuckets(double start, double factor, int n) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < n; ++i, v *= factor) out.push_back(v);
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

MetricsRegistry::MetricsRegistry() {
  conflicts_ = &GetCounter("custos_metrics_conflicts_total",
                           "Metric registrations that clashed with an existing family of "
                           "another type or bucket layout.");
}

MetricsRegistry::Family* MetricsRegistry::FindOrAddFamily(const std::string& name,
                                                          std::string_view help, Type type,
                                                          const std::vector<double>& bounds) {
  auto [it, inserted] = families_.try_emplace(name);
  Family& f = it->second;
  if (inserted) {
    f.help = std::string(help);
    f.type = type;
    f.bounds = bounds;
    return &f;
  }
  if (f.type != type || f.bounds != bounds) return nullptr;
  return &f;
}

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  const std::string clean = SanitizeName(name, true);
  MetricLabels key = NormalizeLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  Family* f = FindOrAddFamily(clean, help, Type::kCounter, {});
  if (f == nullptr) {
    conflicts_->Increment();
    orphan_counters_.push_back(std::make_unique<Counter>());
    return *orphan_counters_.back();
  }
  auto& slot = f->counters[std::move(key)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         const std::vector<double>& bounds,
                                         const MetricLabels& labels) {
  const std::string clean = SanitizeName(name, true);
  const std::vector<double> normalized = NormalizeBounds(bounds);
  MetricLabels key = NormalizeLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  Family* f = FindOrAddFamily(clean, help, Type::kHistogram, normalized);
  if (f == nullptr) {
    conflicts_->Increment();
    orphan_histograms_.push_back(std::make_unique<Histogram>(normalized));
    return *orphan_histograms_.back();
  }
  auto& slot = f->histograms[std::move(key)];
  if (!slot) slot = std::make_unique<Histogram>(normalized);
  return *slot;
}

std::string MetricsRegistry::RenderPrometheusText() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, f] : families_) {
    if (f.counters.empty() && f.histograms.empty()) continue;
    out += "# HELP " + name + " " + EscapeHelp(f.help) + "\n";
    out += "# TYPE " + name + (f.type == Type::kCounter ? " counter\n" : " histogram\n");
    for (const auto& [labels, c] : f.counters) {
      out += name + RenderLabels(labels) + " " + std::to_string(c->Value()) + "\n";
    }
    for (const auto& [labels, h] : f.histograms) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= h->bounds().size(); ++i) {
        cumulative += h->BucketCount(i);
        const std::string le = i < h->bounds().size() ? FormatDouble(h->bounds()[i]) : "+Inf";
        out += name + "_bucket" + RenderLabels(labels, "le", le) + " " +
               std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + RenderLabels(labels) + " " + FormatDouble(h->Sum()) + "\n";
      // _count equals the +Inf bucket, which Prometheus requires; reading
      // Count() separately could disagree with it mid-observation.
      out += name + "_count" + RenderLabels(labels) + " " + std::to_string(cumulative) + "\n";
    }
  }
  return out;
}

MetricsRegistry& DefaultMetrics() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

}  // namespace custos
