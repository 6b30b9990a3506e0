#include "storage/decorators/bandwidth_limit.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/decorators/test_util.h"

namespace custos {
namespace {

using testing_util::RandomData;
using testing_util::StreamingSource;

double Seconds(Clock::Duration d) { return std::chrono::duration<double>(d).count(); }

TEST(TokenBucketTest, BurstIsFreeThenTheRateApplies) {
  FakeClock clock;
  TokenBucket bucket(1000, clock, 500);
  EXPECT_TRUE(bucket.Take(500));
  EXPECT_TRUE(clock.Sleeps().empty());
  EXPECT_TRUE(bucket.Take(1000));
  ASSERT_EQ(clock.Sleeps().size(), 1u);
  EXPECT_NEAR(Seconds(clock.Sleeps()[0]), 1.0, 1e-6);
  clock.Advance(std::chrono::seconds(10));  // idle time refills up to the burst only
  EXPECT_TRUE(bucket.Take(600));
  ASSERT_EQ(clock.Sleeps().size(), 2u);
  EXPECT_NEAR(Seconds(clock.Sleeps()[1]), 0.1, 1e-6);
  EXPECT_EQ(TokenBucket(4 << 20, clock).burst(), uint64_t{1} << 20);
  EXPECT_EQ(TokenBucket(1000, clock).burst(), 64u * 1024);
}

TEST(TokenBucketTest, StopEndsTheWait) {
  std::stop_source stop;
  stop.request_stop();
  TokenBucket bucket(1, SystemClock(), 1);
  EXPECT_FALSE(bucket.Take(1000, stop.get_token()));
}

TEST(BandwidthLimitTest, UploadRateIsApproximatelyTheLimit) {
  FakeClock clock;
  BandwidthOptions o;
  o.upload_bytes_per_second = 1 << 20;
  o.clock = &clock;
  BandwidthLimitBackend b(std::make_unique<MemoryBackend>(), o);
  Bytes data = RandomData(4 << 20);
  // A contiguous source is streamed through the limiter too.
  ASSERT_TRUE(SaveBytes(b, "data/ab/up", data).ok());
  // 4 MiB at 1 MiB/s after a free burst of 256 KiB.
  EXPECT_NEAR(Seconds(clock.TotalSlept()), 3.75, 0.05);
  EXPECT_EQ(*LoadBytes(b, "data/ab/up"), data);
  EXPECT_NEAR(Seconds(clock.TotalSlept()), 3.75, 0.05) << "downloads are not limited";
}

TEST(BandwidthLimitTest, DownloadHasItsOwnRate) {
  FakeClock clock;
  BandwidthOptions o;
  o.upload_bytes_per_second = 1 << 20;
  o.download_bytes_per_second = 2 << 20;
  o.clock = &clock;
  auto memory = std::make_unique<MemoryBackend>();
  Bytes data = RandomData(4 << 20);
  ASSERT_TRUE(SaveBytes(*memory, "data/ab/down", data).ok());
  BandwidthLimitBackend b(std::move(memory), o);
  auto got = LoadBytes(b, "data/ab/down");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);
  // 4 MiB at 2 MiB/s after a free burst of 512 KiB.
  EXPECT_NEAR(Seconds(clock.TotalSlept()), 1.75, 0.05);
}

TEST(BandwidthLimitTest, UnlimitedLeavesCallsAlone) {
  FakeClock clock;
  BandwidthOptions o;
  o.clock = &clock;
  BandwidthLimitBackend b(std::make_unique<MemoryBackend>(), o);
  Bytes data = RandomData(1 << 20);
  ASSERT_TRUE(SaveBytes(b, "x", data).ok());
  EXPECT_EQ(*LoadBytes(b, "x"), data);
  EXPECT_TRUE(clock.Sleeps().empty());
}

TEST(BandwidthLimitTest, ThreadsShareOneBucketInRealTime) {
  BandwidthOptions o;
  o.upload_bytes_per_second = 1 << 20;  // burst 256 KiB
  BandwidthLimitBackend b(std::make_unique<MemoryBackend>(), o);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Bytes data = RandomData(192 * 1024);
      StreamingSource src(data);
      EXPECT_TRUE(b.Save("data/" + std::to_string(t), src).ok());
    });
  }
  for (auto& th : threads) th.join();
  const double took = Seconds(std::chrono::steady_clock::now() - start);
  // 768 KiB in total, 256 KiB free: at least 0.5 s at 1 MiB/s shared; alone
  // each thread would need only a fraction of that.
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 5.0);
}

}  // namespace
}  // namespace custos
