#include "storage/decorators/concurrency_limit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/decorators/test_util.h"

namespace custos {
namespace {

// Tracks how many calls are inside it at once; each call lingers briefly.
class Gauge : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Result<ObjectInfo> Stat(const std::string& name) override {
    Enter();
    auto r = inner().Stat(name);
    Leave();
    return r;
  }
  Status Save(const std::string& name, ByteSource& src) override {
    Enter();
    Status st = inner().Save(name, src);
    Leave();
    return st;
  }
  int max_seen() const { return max_; }

 private:
  void Enter() {
    int now = ++current_;
    int prev = max_.load();
    while (now > prev && !max_.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Leave() { --current_; }
  std::atomic<int> current_{0};
  std::atomic<int> max_{0};
};

TEST(ConcurrencyLimitTest, NeverExceedsTheLimitUnderManyThreads) {
  auto gauge = std::make_unique<Gauge>(std::make_unique<MemoryBackend>());
  Gauge* g = gauge.get();
  ConcurrencyLimitBackend limited(std::move(gauge), 3);
  ASSERT_TRUE(SaveBytes(limited, "config", AsBytes("c")).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!limited.Stat("config").ok()) ++failures;
        if (i % 5 == 0 && !SaveBytes(limited, "data/" + std::to_string(t), AsBytes("x")).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(g->max_seen(), 3);
  EXPECT_GE(g->max_seen(), 2) << "the limit should still allow parallel calls";
  EXPECT_EQ(limited.in_flight(), 0);
}

TEST(ConcurrencyLimitTest, NestedCallsFromCallbacksDoNotDeadlock) {
  ConcurrencyLimitBackend limited(std::make_unique<MemoryBackend>(), 1);
  ASSERT_TRUE(SaveBytes(limited, "index/a", AsBytes("aa")).ok());
  ASSERT_TRUE(SaveBytes(limited, "index/b", AsBytes("bbb")).ok());
  uint64_t total = 0;
  Status st = limited.List("index/", [&](const ObjectInfo& info) {
    EXPECT_EQ(limited.in_flight(), 1);
    auto loaded = LoadBytes(limited, info.name);  // would wait forever on a plain semaphore
    if (!loaded.ok()) return loaded.status();
    total += loaded->size();
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(total, 5u);
  st = limited.Load("index/a", 0, 0, [&](Reader&) { return limited.Stat("index/b").status(); });
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(limited.in_flight(), 0);
}

TEST(ConcurrencyLimitTest, OtherThreadsWaitWhileTheSlotIsHeld) {
  ConcurrencyLimitBackend limited(std::make_unique<MemoryBackend>(), 1);
  ASSERT_TRUE(SaveBytes(limited, "x", AsBytes("x")).ok());
  std::atomic<bool> other_done{false};
  std::thread other;
  Status st = limited.Load("x", 0, 0, [&](Reader&) {
    other = std::thread([&] {
      (void)limited.Stat("x");
      other_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_FALSE(other_done.load()) << "a second thread got past a limit of 1";
    return Status::OK();
  });
  other.join();
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(other_done.load());
}

TEST(ConcurrencyLimitTest, PropertiesReportTheLimit) {
  ConcurrencyLimitBackend two(std::make_unique<MemoryBackend>(), 2);
  EXPECT_EQ(two.Properties().connections, 2);
  EXPECT_TRUE(two.Properties().atomic_replace);
  ConcurrencyLimitBackend many(std::make_unique<MemoryBackend>(), 100);
  EXPECT_EQ(many.Properties().connections, 8);  // the memory backend's own
  ConcurrencyLimitBackend zero(std::make_unique<MemoryBackend>(), 0);
  EXPECT_EQ(zero.max_in_flight(), 1);
}

}  // namespace
}  // namespace custos
