#include "storage/decorators/stack.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/decorators/concurrency_limit.h"
#include "storage/decorators/test_util.h"

namespace custos {
namespace {

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logger_.SetSink([this](std::string_view line) { lines_.emplace_back(line); });
    logger_.SetLevel(LogLevel::kDebug);
    options_.backend_label = "primary";
    options_.registry = &registry_;
    options_.logger = &logger_;
    options_.clock = &clock_;
    options_.retry_options.clock = &clock_;
  }
  std::unique_ptr<Backend> Stack() {
    auto r = StackDecorators(std::make_unique<MemoryBackend>("stack"), options_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : nullptr;
  }
  bool Has(const std::string& line) {
    return registry_.RenderPrometheusText().find(line + "\n") != std::string::npos;
  }

  FakeClock clock_;
  MetricsRegistry registry_;
  Logger logger_;
  std::vector<std::string> lines_;
  StackOptions options_;
};

TEST_F(StackTest, FaultsBelowRetryAreRetriedAndEveryAttemptIsCounted) {
  options_.fault_spec = "save:error=retryable,count=2";
  auto b = Stack();
  ASSERT_TRUE(b);
  Status st = SaveBytes(*b, "data/ab/x", AsBytes("hello"));
  ASSERT_TRUE(st.ok()) << st.ToString();
  // Metrics sit below retry: three attempts, two of them failed.
  EXPECT_TRUE(Has(R"(custos_backend_requests_total{backend="primary",op="save"} 3)"))
      << registry_.RenderPrometheusText();
  EXPECT_TRUE(
      Has(R"(custos_backend_errors_total{backend="primary",code="retryable",op="save"} 2)"));
  // Logging sits above retry: one record for the caller's one call.
  ASSERT_EQ(lines_.size(), 1u);
  auto rec = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(rec["op"], "save");
  EXPECT_EQ(rec["outcome"], "ok");
  EXPECT_EQ(clock_.Sleeps().size(), 2u);
  EXPECT_EQ(AsString(*LoadBytes(*b, "data/ab/x")), "hello");
}

TEST_F(StackTest, GivingUpIsLoggedOnceAtWarnWithTheAttemptCount) {
  options_.fault_spec = "stat:error=retryable";
  options_.retry_options.max_attempts = 4;
  auto b = Stack();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->Stat("config").status().code(), Code::kRetryable);
  EXPECT_TRUE(Has(R"(custos_backend_requests_total{backend="primary",op="stat"} 4)"));
  ASSERT_EQ(lines_.size(), 1u);
  auto rec = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(rec["level"], "warn");
  EXPECT_NE(rec["error"].get<std::string>().find("gave up after 4 attempts"), std::string::npos)
      << rec.dump();
}

TEST_F(StackTest, ConcurrencyDefaultsToTheProvidersConnections) {
  auto b = Stack();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->Properties().connections, 8);
  options_.max_concurrency = 3;
  EXPECT_EQ(Stack()->Properties().connections, 3);
}

TEST_F(StackTest, NonAtomicFaultsReachRetrysCleanup) {
  options_.fault_spec = "atomic_replace=false;save:fail_after=10,count=1";
  auto b = Stack();
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->Properties().atomic_replace);
  Bytes data = testing_util::RandomData(1000);
  testing_util::StreamingSource src(data);
  ASSERT_TRUE(b->Save("data/ab/p", src).ok());
  EXPECT_EQ(*LoadBytes(*b, "data/ab/p"), data);
  EXPECT_TRUE(Has(R"(custos_backend_requests_total{backend="primary",op="remove"} 1)"));
}

TEST_F(StackTest, BandwidthLimitIsApplied) {
  options_.upload_bytes_per_second = 1 << 20;
  auto b = Stack();
  ASSERT_TRUE(b);
  ASSERT_TRUE(SaveBytes(*b, "big", testing_util::RandomData(2 << 20)).ok());
  EXPECT_NEAR(std::chrono::duration<double>(clock_.TotalSlept()).count(), 1.75, 0.05);
}

TEST_F(StackTest, EverythingOffIsTheProviderItself) {
  options_.retry = false;
  options_.metrics = false;
  options_.logging = false;
  options_.max_concurrency = -1;
  auto r = StackDecorators(std::make_unique<MemoryBackend>("bare"), options_);
  ASSERT_TRUE(r.ok());
  EXPECT_NE(dynamic_cast<MemoryBackend*>(r->get()), nullptr);
}

TEST_F(StackTest, BadOptionsAreInvalidArgument) {
  options_.fault_spec = "save:error=nonsense";
  auto r = StackDecorators(std::make_unique<MemoryBackend>(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("error=nonsense"), std::string::npos);

  options_.fault_spec.clear();
  options_.backend_label.clear();
  r = StackDecorators(std::make_unique<MemoryBackend>(), options_);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(StackDecorators(nullptr, StackOptions{}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace custos
