#include "base/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

namespace custos {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST(MetricsTest, CounterRendersWithHelpTypeAndSortedLabels) {
  MetricsRegistry reg;
  Counter& a = reg.GetCounter("custos_requests_total", "Requests.", {{"op", "save"}, {"b", "s3"}});
  a.Increment();
  a.Increment(4);
  // The same labels in another order are the same series.
  EXPECT_EQ(&reg.GetCounter("custos_requests_total", "Requests.", {{"b", "s3"}, {"op", "save"}}),
            &a);
  reg.GetCounter("custos_requests_total", "Requests.", {{"op", "load"}, {"b", "s3"}}).Increment(2);

  const std::string text = reg.RenderPrometheusText();
  const std::string expected =
      "# HELP custos_requests_total Requests.\n"
      "# TYPE custos_requests_total counter\n"
      "custos_requests_total{b=\"s3\",op=\"load\"} 2\n"
      "custos_requests_total{b=\"s3\",op=\"save\"} 5\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
  EXPECT_EQ(a.Value(), 5u);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry reg;
  Histogram& h = reg.GetHistogram("lat_seconds", "Latency.", {1, 0.1, 10}, {{"op", "get"}});
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.1, 1, 10}));
  h.Observe(0.05);
  h.Observe(0.1);  // bounds are inclusive
  h.Observe(0.5);
  h.Observe(100);
  const std::string text = reg.RenderPrometheusText();
  const std::string expected =
      "# HELP lat_seconds Latency.\n"
      "# TYPE lat_seconds histogram\n"
      "lat_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
      "lat_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
      "lat_seconds_bucket{op=\"get\",le=\"10\"} 3\n"
      "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
      "lat_seconds_sum{op=\"get\"} 100.65\n"
      "lat_seconds_count{op=\"get\"} 4\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
  EXPECT_EQ(h.Count(), 4u);
  EXPECT_DOUBLE_EQ(h.Sum(), 100.65);
}

TEST(MetricsTest, EscapesLabelValuesAndHelpAndSanitizesNames) {
  MetricsRegistry reg;
  reg.GetCounter("bad-name.total", "line1\nback\\slash", {{"we ird", "a\"b\\c\nd"}}).Increment();
  const std::string text = reg.RenderPrometheusText();
  EXPECT_NE(text.find("# HELP bad_name_total line1\\nback\\\\slash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bad_name_total{we_ird=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, UnlabelledSeriesHasNoBraces) {
  MetricsRegistry reg;
  reg.GetCounter("plain_total", "Plain.").Increment(7);
  EXPECT_NE(reg.RenderPrometheusText().find("\nplain_total 7\n"), std::string::npos);
}

TEST(MetricsTest, ConflictingRegistrationIsCountedAndNotExported) {
  MetricsRegistry reg;
  reg.GetCounter("thing", "A counter.").Increment();
  Histogram& clash = reg.GetHistogram("thing", "Now a histogram.", {1});
  clash.Observe(0.5);  // usable, but not exported
  Histogram& h1 = reg.GetHistogram("lat", "L.", {1, 2});
  Histogram& h2 = reg.GetHistogram("lat", "L.", {1, 3});
  EXPECT_NE(&h1, &h2);
  const std::string text = reg.RenderPrometheusText();
  EXPECT_EQ(text.find("thing_bucket"), std::string::npos) << text;
  EXPECT_EQ(text.find("le=\"3\""), std::string::npos) << text;
  EXPECT_NE(text.find("custos_metrics_conflicts_total 2\n"), std::string::npos) << text;
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry reg;
  constexpr int kThreads = 8;
  constexpr int kPer = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Counter& c = reg.GetCounter("c_total", "C.", {{"x", "y"}});
      Histogram& h = reg.GetHistogram("h", "H.", LatencyBuckets());
      for (int i = 0; i < kPer; ++i) {
        c.Increment();
        h.Observe(0.5);
      }
    });
  }
  // Rendering while writers run must be safe.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(reg.RenderPrometheusText().empty());
  for (auto& th : threads) th.join();
  EXPECT_EQ(reg.GetCounter("c_total", "C.", {{"x", "y"}}).Value(), uint64_t{kThreads * kPer});
  Histogram& h = reg.GetHistogram("h", "H.", LatencyBuckets());
  EXPECT_EQ(h.Count(), uint64_t{kThreads * kPer});
  EXPECT_DOUBLE_EQ(h.Sum(), 0.5 * kThreads * kPer);
}

TEST(MetricsTest, EveryLineIsCommentOrSample) {
  MetricsRegistry reg;
  reg.GetCounter("a_total", "A.", {{"k", "v"}}).Increment();
  reg.GetHistogram("b_seconds", "B.", ExponentialBuckets(0.01, 2, 5)).Observe(0.03);
  for (const std::string& line : Lines(reg.RenderPrometheusText())) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    // name{labels} value  or  name value
    size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    EXPECT_FALSE(line.substr(space + 1).empty()) << line;
    EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_') << line;
  }
  EXPECT_EQ(ExponentialBuckets(0.01, 2, 3), (std::vector<double>{0.01, 0.02, 0.04}));
}

TEST(MetricsTest, DefaultRegistryIsShared) {
  EXPECT_EQ(&DefaultMetrics(), &DefaultMetrics());
  Counter& c = DefaultMetrics().GetCounter("custos_test_default_total", "Test.");
  c.Increment();
  EXPECT_NE(DefaultMetrics().RenderPrometheusText().find("custos_test_default_total "),
            std::string::npos);
}

}  // namespace
}  // namespace custos
