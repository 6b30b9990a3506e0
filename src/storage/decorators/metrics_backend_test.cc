#include "storage/decorators/metrics_backend.h"

#include <gtest/gtest.h>

#include "storage/decorators/fault_injection.h"
#include "storage/decorators/test_util.h"

namespace custos {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(MetricsBackendTest, CountsRequestsErrorsBytesAndLatency) {
  MetricsRegistry reg;
  auto faults = ParseFaultSpec("stat:error=retryable,count=2");
  ASSERT_TRUE(faults.ok());
  MetricsBackend b(
      std::make_unique<FaultInjectionBackend>(std::make_unique<MemoryBackend>(), *faults), "dest1",
      reg);
  ASSERT_TRUE(SaveBytes(b, "data/ab/x", AsBytes("0123456789")).ok());
  ASSERT_TRUE(LoadBytes(b, "data/ab/x", 2, 5).ok());
  ASSERT_TRUE(LoadBytes(b, "data/ab/x").ok());
  EXPECT_FALSE(b.Stat("data/ab/x").ok());
  EXPECT_FALSE(b.Stat("data/ab/x").ok());
  EXPECT_TRUE(b.Stat("data/ab/x").ok());
  EXPECT_EQ(b.Remove("gone").code(), Code::kNotFound);

  const std::string text = reg.RenderPrometheusText();
  EXPECT_TRUE(Has(text, R"(custos_backend_requests_total{backend="dest1",op="save"} 1)")) << text;
  EXPECT_TRUE(Has(text, R"(custos_backend_requests_total{backend="dest1",op="load"} 2)"));
  EXPECT_TRUE(Has(text, R"(custos_backend_requests_total{backend="dest1",op="stat"} 3)"));
  EXPECT_TRUE(Has(text, R"(custos_backend_requests_total{backend="dest1",op="list"} 0)"));
  EXPECT_TRUE(
      Has(text, R"(custos_backend_errors_total{backend="dest1",code="retryable",op="stat"} 2)"));
  EXPECT_TRUE(
      Has(text, R"(custos_backend_errors_total{backend="dest1",code="not_found",op="remove"} 1)"));
  EXPECT_EQ(text.find(R"(code="retryable",op="save")"), std::string::npos);
  EXPECT_TRUE(Has(text, R"(custos_backend_uploaded_bytes_total{backend="dest1"} 10)"));
  EXPECT_TRUE(Has(text, R"(custos_backend_downloaded_bytes_total{backend="dest1"} 15)"));
  EXPECT_TRUE(
      Has(text, R"(custos_backend_request_duration_seconds_count{backend="dest1",op="stat"} 3)"));
  EXPECT_TRUE(Has(
      text,
      R"(custos_backend_request_duration_seconds_bucket{backend="dest1",op="save",le="+Inf"} 1)"));
}

TEST(MetricsBackendTest, FailedSaveUploadsNothing) {
  MetricsRegistry reg;
  MetricsBackend b(std::make_unique<MemoryBackend>(), "d", reg);
  BufferSource wrong(AsBytes("abc"), Hash256{});
  EXPECT_EQ(b.Save("x", wrong).code(), Code::kCorruption);
  const std::string text = reg.RenderPrometheusText();
  EXPECT_TRUE(Has(text, R"(custos_backend_uploaded_bytes_total{backend="d"} 0)")) << text;
  EXPECT_TRUE(
      Has(text, R"(custos_backend_errors_total{backend="d",code="corruption",op="save"} 1)"));
}

}  // namespace
}  // namespace custos
