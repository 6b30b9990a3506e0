#include "storage/decorators/retry.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/decorators/fault_injection.h"
#include "storage/decorators/test_util.h"

namespace custos {
namespace {

using std::chrono::milliseconds;
using testing_util::RandomData;
using testing_util::RecordingBackend;
using testing_util::StreamingSource;

// Retry -> Recording -> FaultInjection(spec) -> Memory, on a fake clock.
class RetryTest : public ::testing::Test {
 protected:
  void Build(const std::string& spec, RetryOptions options = {}) {
    auto faults = ParseFaultSpec(spec);
    ASSERT_TRUE(faults.ok()) << faults.status().ToString();
    auto memory = std::make_unique<MemoryBackend>("retry");
    memory_ = memory.get();
    auto fault = std::make_unique<FaultInjectionBackend>(std::move(memory), std::move(*faults));
    fault_ = fault.get();
    auto recording = std::make_unique<RecordingBackend>(std::move(fault));
    recording_ = recording.get();
    options.clock = &clock_;
    options.jitter_seed = 42;
    retry_ = std::make_unique<RetryBackend>(std::move(recording), options);
  }

  FakeClock clock_;
  MemoryBackend* memory_ = nullptr;
  FaultInjectionBackend* fault_ = nullptr;
  RecordingBackend* recording_ = nullptr;
  std::unique_ptr<RetryBackend> retry_;
};

TEST_F(RetryTest, RetriesRetryableErrorsWithCappedJitteredBackoff) {
  RetryOptions o;
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(250);
  o.max_attempts = 10;
  Build("save:error=retryable,count=4", o);
  Bytes data = RandomData(5000);
  Status st = SaveBytes(*retry_, "data/ab/x", data);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(recording_->Count("save data/ab/x"), 5u);
  EXPECT_EQ(*LoadBytes(*memory_, "data/ab/x"), data);

  const auto sleeps = clock_.Sleeps();
  ASSERT_LE(sleeps.size(), 4u);  // a zero wait is not a sleep
  const milliseconds caps[] = {milliseconds(100), milliseconds(200), milliseconds(250),
                               milliseconds(250)};
  for (size_t i = 0; i < sleeps.size(); ++i) EXPECT_LE(sleeps[i], caps[i]) << i;
  EXPECT_GT(clock_.TotalSlept(), milliseconds(0));
}

TEST_F(RetryTest, JitterSpreadsWaitsOverTheWholeWindow) {
  RetryOptions o;
  o.base_delay = milliseconds(1000);
  o.max_delay = milliseconds(1000);
  o.max_attempts = 200;
  o.deadline = milliseconds(0);
  Build("stat:error=retryable,count=150", o);
  EXPECT_EQ(retry_->Stat("x").status().code(), Code::kNotFound);  // 151st attempt: real answer
  const auto sleeps = clock_.Sleeps();
  ASSERT_GT(sleeps.size(), 140u);
  auto [lo, hi] = std::minmax_element(sleeps.begin(), sleeps.end());
  EXPECT_LT(*lo, milliseconds(100));
  EXPECT_GT(*hi, milliseconds(900));
  EXPECT_LE(*hi, milliseconds(1000));
}

TEST_F(RetryTest, HonoursRetryAfter) {
  RetryOptions o;
  o.base_delay = milliseconds(10);
  o.max_delay = milliseconds(20);
  Build("load:error=retryable,retry_after_ms=7000,count=1", o);
  ASSERT_TRUE(SaveBytes(*memory_, "config", AsBytes("cfg")).ok());
  auto got = LoadBytes(*retry_, "config");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(AsString(*got), "cfg");
  ASSERT_EQ(clock_.Sleeps().size(), 1u);
  EXPECT_GE(clock_.Sleeps()[0], milliseconds(7000));
  EXPECT_LE(clock_.Sleeps()[0], milliseconds(7020));
}

TEST_F(RetryTest, RetryAfterPastTheDeadlineGivesUpAtOnce) {
  RetryOptions o;
  o.deadline = milliseconds(5000);
  Build("stat:error=retryable,retry_after_ms=60000", o);
  auto r = retry_->Stat("x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRetryable);
  EXPECT_EQ(r.status().retry_after(), milliseconds(60000));
  EXPECT_NE(r.status().message().find("gave up after 1 attempt"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("deadline"), std::string::npos);
  EXPECT_TRUE(clock_.Sleeps().empty());
}

TEST_F(RetryTest, GivesUpAtDeadline) {
  RetryOptions o;
  o.base_delay = milliseconds(100);
  o.max_delay = milliseconds(400);
  o.max_attempts = 1000;
  o.deadline = milliseconds(3000);
  Build("remove:error=retryable", o);
  Status st = retry_->Remove("x");
  EXPECT_EQ(st.code(), Code::kRetryable);
  EXPECT_NE(st.message().find("deadline"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("injected fault"), std::string::npos) << st.message();
  EXPECT_LE(clock_.TotalSlept(), milliseconds(3000));
  EXPECT_GT(clock_.TotalSlept(), milliseconds(2000));  // waits ~200ms each, stops near the end
  EXPECT_GT(recording_->Count("remove x"), 5u);
}

TEST_F(RetryTest, GivesUpAfterMaxAttemptsNamingCountAndLastError) {
  RetryOptions o;
  o.max_attempts = 3;
  Build("save:error=retryable", o);
  Status st = SaveBytes(*retry_, "data/ab/y", AsBytes("y"));
  EXPECT_EQ(st.code(), Code::kRetryable);
  EXPECT_NE(st.message().find("save data/ab/y: gave up after 3 attempts: injected fault"),
            std::string::npos)
      << st.message();
  EXPECT_EQ(fault_->Fired(0), 3);
  EXPECT_LE(clock_.Sleeps().size(), 2u);
}

TEST_F(RetryTest, DoesNotRetryPermanentErrors) {
  Build("save:error=permission_denied;stat:error=io_error");
  Status st = SaveBytes(*retry_, "k", AsBytes("k"));
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.ToString();
  EXPECT_EQ(fault_->Fired(0), 1);
  EXPECT_EQ(retry_->Stat("k").status().code(), Code::kIOError);
  EXPECT_EQ(fault_->Fired(1), 1);
  EXPECT_EQ(retry_->Load("missing", 0, 0, [](Reader&) { return Status::OK(); }).code(),
            Code::kNotFound);
  EXPECT_EQ(recording_->Count("load missing"), 1u);
  EXPECT_TRUE(clock_.Sleeps().empty());
}

TEST_F(RetryTest, RemovesPartialUploadsOnNonAtomicBackend) {
  Build("atomic_replace=false;save:fail_after=100,count=1");
  ASSERT_FALSE(retry_->Properties().atomic_replace);
  Bytes data = RandomData(1000);
  StreamingSource src(data);
  Status st = retry_->Save("data/ab/p", src);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(recording_->Calls(),
            (std::vector<std::string>{"save data/ab/p", "remove data/ab/p", "save data/ab/p"}));
  EXPECT_EQ(*LoadBytes(*memory_, "data/ab/p"), data);
}

TEST_F(RetryTest, RemovesPartialUploadBeforeGivingUp) {
  RetryOptions o;
  o.max_attempts = 2;
  Build("atomic_replace=false;save:fail_after=100", o);
  Bytes data = RandomData(1000);
  StreamingSource src(data);
  Status st = retry_->Save("data/ab/q", src);
  EXPECT_EQ(st.code(), Code::kRetryable);
  EXPECT_EQ(recording_->Count("remove data/ab/q"), 2u);
  // Without the cleanup the fault layer leaves 100 bytes under the name.
  EXPECT_EQ(memory_->Stat("data/ab/q").status().code(), Code::kNotFound);
}

TEST_F(RetryTest, AtomicBackendsAreNotCleanedUp) {
  Build("save:error=retryable,count=1");
  ASSERT_TRUE(retry_->Properties().atomic_replace);
  ASSERT_TRUE(SaveBytes(*retry_, "config", AsBytes("c")).ok());
  EXPECT_EQ(recording_->Count("remove config"), 0u);
}

TEST_F(RetryTest, RewindsTheSourceBeforeEveryAttempt) {
  Build("save:fail_after=300,count=2");
  Bytes data = RandomData(2000);
  StreamingSource src(data);
  // Leave the source mid-way: the first attempt must still start from byte 0.
  uint8_t skip[500];
  ASSERT_EQ(*src.Read(skip, sizeof(skip)), 500u);
  Status st = retry_->Save("data/ab/r", src);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GE(src.rewinds(), 3);
  EXPECT_EQ(*LoadBytes(*memory_, "data/ab/r"), data);
}

TEST_F(RetryTest, ErrorsOfTheCallersSourceAreNotRetried) {
  Build("");
  Bytes data = RandomData(4000);
  StreamingSource src(data, Status::Retryable("disk hiccup"));
  Status st = retry_->Save("data/ab/s", src);
  EXPECT_EQ(st.code(), Code::kRetryable);
  EXPECT_EQ(recording_->Count("save data/ab/s"), 1u);
  EXPECT_EQ(memory_->Stat("data/ab/s").status().code(), Code::kNotFound);
}

TEST_F(RetryTest, CorruptionOnSaveIsRetriedOnce) {
  Build("save:error=corruption");
  Status st = SaveBytes(*retry_, "data/ab/c", AsBytes("c"));
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_EQ(recording_->Count("save data/ab/c"), 2u);
  EXPECT_NE(st.message().find("after 2 attempts"), std::string::npos) << st.message();

  Build("save:error=corruption,count=1");
  ASSERT_TRUE(SaveBytes(*retry_, "data/ab/c", AsBytes("c")).ok());
}

// Fails the first Load mid-stream with a Retryable read error.
class MidStreamFailure : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Status Load(const std::string& name, uint64_t offset, uint64_t length,
              const LoadConsumer& consumer) override {
    const bool fail = first_;
    first_ = false;
    return inner().Load(name, offset, length, [&](Reader& r) {
      if (!fail) return consumer(r);
      struct Broken : Reader {
        Reader& r;
        size_t left = 10;
        explicit Broken(Reader& inner_reader) : r(inner_reader) {}
        Result<size_t> Read(uint8_t* buf, size_t n) override {
          if (left == 0) return Status::Retryable("connection reset");
          ASSIGN_OR_RETURN(size_t got, r.Read(buf, std::min(n, left)));
          left -= got;
          return got;
        }
      } broken(r);
      return consumer(broken);
    });
  }

 private:
  bool first_ = true;
};

TEST(RetryLoadTest, CallsTheConsumerAgainFromTheStart) {
  FakeClock clock;
  auto memory = std::make_unique<MemoryBackend>();
  Bytes data = RandomData(5000);
  ASSERT_TRUE(SaveBytes(*memory, "data/ab/l", data).ok());
  RetryOptions o;
  o.clock = &clock;
  RetryBackend retry(std::make_unique<MidStreamFailure>(std::move(memory)), o);
  int calls = 0;
  Bytes got;
  Status st = retry.Load("data/ab/l", 0, 0, [&](Reader& r) {
    ++calls;
    got.clear();
    return ReadAll(r, got);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(got, data);
}

// Lists two names, then fails once with Retryable.
class FlakyList : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Status List(const std::string& prefix,
              const std::function<Status(const ObjectInfo&)>& fn) override {
    int seen = 0;
    const bool fail = first_;
    first_ = false;
    return inner().List(prefix, [&](const ObjectInfo& info) {
      if (fail && seen == 2) return Status::Retryable("page request failed");
      ++seen;
      return fn(info);
    });
  }

 private:
  bool first_ = true;
};

TEST(RetryListTest, RetriedListDeliversEachNameOnce) {
  FakeClock clock;
  auto memory = std::make_unique<MemoryBackend>();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(SaveBytes(*memory, "index/i" + std::to_string(i), AsBytes("x")).ok());
  }
  RetryOptions o;
  o.clock = &clock;
  RetryBackend retry(std::make_unique<FlakyList>(std::move(memory)), o);
  std::vector<std::string> names;
  Status st = retry.List("index/", [&](const ObjectInfo& info) {
    names.push_back(info.name);
    return Status::OK();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(names,
            (std::vector<std::string>{"index/i0", "index/i1", "index/i2", "index/i3", "index/i4"}));
  // A callback's own error is returned, not retried.
  int calls = 0;
  st = retry.List("index/", [&](const ObjectInfo&) {
    ++calls;
    return Status::Retryable("consumer busy");
  });
  EXPECT_EQ(st.code(), Code::kRetryable);
  EXPECT_EQ(calls, 1);
}

// Removes the object but reports a lost response (Retryable) the first time.
class LostRemoveResponse : public BackendWrapper {
 public:
  using BackendWrapper::BackendWrapper;
  Status Remove(const std::string& name) override {
    Status st = inner().Remove(name);
    if (first_ && st.ok()) {
      first_ = false;
      return Status::Retryable("response lost");
    }
    return st;
  }

 private:
  bool first_ = true;
};

TEST(RetryRemoveTest, NotFoundAfterAnUncertainAttemptSaysSo) {
  FakeClock clock;
  auto memory = std::make_unique<MemoryBackend>();
  ASSERT_TRUE(SaveBytes(*memory, "locks/l1", AsBytes("x")).ok());
  RetryOptions o;
  o.clock = &clock;
  RetryBackend retry(std::make_unique<LostRemoveResponse>(std::move(memory)), o);
  Status st = retry.Remove("locks/l1");
  EXPECT_EQ(st.code(), Code::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("may have removed it"), std::string::npos) << st.message();
  st = retry.Remove("locks/l1");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message().find("may have removed it"), std::string::npos) << st.message();
}

TEST(RetryCancelTest, StopRequestEndsTheWait) {
  auto memory = std::make_unique<MemoryBackend>();
  FaultOptions f;
  FaultRule rule;
  rule.op = FaultOp::kStat;
  rule.error = Code::kRetryable;
  f.rules.push_back(rule);
  std::stop_source stop;
  RetryOptions o;
  o.base_delay = milliseconds(20'000);
  o.max_delay = milliseconds(20'000);
  o.jitter_seed = 7;
  o.stop = stop.get_token();
  // Real clock: the wait must really be interrupted.
  RetryBackend retry(std::make_unique<FaultInjectionBackend>(std::move(memory), f), o);
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(50));
    stop.request_stop();
  });
  auto r = retry.Stat("x");
  stopper.join();
  ASSERT_FALSE(r.ok());
  // With a 20 s window a wait under 50 ms is possible but then the next one
  // is cancelled; either way the call ends soon after the stop request.
  EXPECT_EQ(r.status().code(), Code::kCancelled) << r.status().ToString();
  EXPECT_NE(r.status().message().find("injected fault"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace custos
