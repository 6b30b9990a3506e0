#include "storage/decorators/fault_injection.h"

#include <gtest/gtest.h>

#include "storage/decorators/test_util.h"

namespace custos {
namespace {

using std::chrono::milliseconds;
using testing_util::RandomData;
using testing_util::StreamingSource;

FaultOptions Parse(std::string_view spec) {
  auto r = ParseFaultSpec(spec);
  EXPECT_TRUE(r.ok()) << spec << ": " << r.status().ToString();
  return r.ok() ? *r : FaultOptions{};
}

TEST(FaultSpecTest, ParsesTheDocumentedExample) {
  FaultOptions o = Parse(
      "save:error=retryable,count=2;load:prefix=data/,truncate=100;save:lie,count=1;"
      "any:delay_ms=50");
  ASSERT_EQ(o.rules.size(), 4u);
  EXPECT_EQ(o.rules[0].op, FaultOp::kSave);
  EXPECT_EQ(o.rules[0].error, Code::kRetryable);
  EXPECT_EQ(o.rules[0].count, 2);
  EXPECT_EQ(o.rules[1].op, FaultOp::kLoad);
  EXPECT_EQ(o.rules[1].prefix, "data/");
  EXPECT_EQ(o.rules[1].truncate, 100u);
  EXPECT_FALSE(o.rules[1].error.has_value());
  EXPECT_TRUE(o.rules[2].lie);
  EXPECT_EQ(o.rules[2].count, 1);
  EXPECT_EQ(o.rules[3].op, FaultOp::kAny);
  EXPECT_EQ(o.rules[3].delay, milliseconds(50));
  EXPECT_EQ(o.rules[3].count, -1);
  EXPECT_EQ(o.seed, 1u);
}

TEST(FaultSpecTest, ParsesEveryParameter) {
  FaultOptions o = Parse(
      " seed=99 ; atomic_replace=false ;; stat : error = not_found , p=0.25 ;"
      "remove:error=retryable,retry_after_ms=1500,probability=1;save:fail_after=7,error=io_error;"
      "list:error=permission_denied");
  EXPECT_EQ(o.seed, 99u);
  EXPECT_EQ(o.atomic_replace, false);
  ASSERT_EQ(o.rules.size(), 4u);
  EXPECT_EQ(o.rules[0].error, Code::kNotFound);
  EXPECT_DOUBLE_EQ(o.rules[0].probability, 0.25);
  EXPECT_EQ(o.rules[1].retry_after, milliseconds(1500));
  EXPECT_EQ(o.rules[2].fail_after, 7u);
  EXPECT_EQ(o.rules[2].error, Code::kIOError);
  EXPECT_EQ(o.rules[3].op, FaultOp::kList);
  EXPECT_TRUE(ParseFaultSpec("").ok());
}

TEST(FaultSpecTest, BadSpecsNameTheBadToken) {
  struct Case {
    const char* spec;
    const char* token;
  };
  for (const Case& c : {
           Case{"save:error=bogus", "error=bogus"},
           Case{"frobnicate:error=retryable", "frobnicate"},
           Case{"save", "save"},
           Case{"save:count=2", "save:count=2"},
           Case{"load:lie", "lie"},
           Case{"save:truncate=5", "truncate=5"},
           Case{"any:fail_after=5", "fail_after=5"},
           Case{"save:error=retryable,p=1.5", "p=1.5"},
           Case{"save:error=retryable,count=-1", "count=-1"},
           Case{"save:error=retryable,count=1x", "count=1x"},
           Case{"stat:error=not_found,retry_after_ms=5", "retry_after_ms"},
           Case{"seed=x", "seed=x"},
           Case{"atomic_replace=maybe", "atomic_replace=maybe"},
           Case{"save:error=retryable,,count=1", "save:error=retryable,,count=1"},
           Case{"save:error=ok", "error=ok"},
           Case{"save:colour=red", "colour=red"},
           Case{"save:error=retryable;load:truncate=", "truncate="},
       }) {
    auto r = ParseFaultSpec(c.spec);
    ASSERT_FALSE(r.ok()) << c.spec;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.spec;
    EXPECT_NE(r.status().message().find(c.token), std::string::npos)
        << c.spec << " -> " << r.status().message();
  }
}

TEST(FaultInjectionTest, FailsTheFirstKMatchingCalls) {
  FaultInjectionBackend b(std::make_unique<MemoryBackend>(),
                          Parse("save:error=retryable,retry_after_ms=250,count=2"));
  Status first = SaveBytes(b, "config", AsBytes("c"));
  EXPECT_EQ(first.code(), Code::kRetryable);
  EXPECT_EQ(first.retry_after(), milliseconds(250));
  EXPECT_NE(first.message().find("injected fault: save config"), std::string::npos);
  EXPECT_EQ(b.Stat("config").status().code(), Code::kNotFound);
  EXPECT_EQ(SaveBytes(b, "config", AsBytes("c")).code(), Code::kRetryable);
  EXPECT_TRUE(SaveBytes(b, "config", AsBytes("c")).ok());
  EXPECT_EQ(b.Fired(0), 2);
}

TEST(FaultInjectionTest, PrefixSelectsObjects) {
  FaultInjectionBackend b(std::make_unique<MemoryBackend>(),
                          Parse("any:prefix=data/,error=io_error"));
  EXPECT_TRUE(SaveBytes(b, "index/i", AsBytes("i")).ok());
  EXPECT_EQ(SaveBytes(b, "data/ab/d", AsBytes("d")).code(), Code::kIOError);
  EXPECT_TRUE(b.Stat("index/i").ok());
  EXPECT_EQ(b.Stat("data/x").status().code(), Code::kIOError);
  EXPECT_EQ(b.Remove("data/x").code(), Code::kIOError);
  EXPECT_EQ(b.List("data/", [](const ObjectInfo&) { return Status::OK(); }).code(), Code::kIOError);
  EXPECT_TRUE(b.List("", [](const ObjectInfo&) { return Status::OK(); }).ok());
}

TEST(FaultInjectionTest, ProbabilityIsSeededAndRoughlyRight) {
  auto run = [](uint64_t seed) {
    FaultOptions o = Parse("stat:error=retryable,p=0.3");
    o.seed = seed;
    FaultInjectionBackend b(std::make_unique<MemoryBackend>(), o);
    std::string pattern;
    for (int i = 0; i < 2000; ++i) pattern += b.Stat("x").status().IsRetryable() ? '1' : '0';
    return pattern;
  };
  const std::string a = run(5);
  EXPECT_EQ(a, run(5));
  EXPECT_NE(a, run(6));
  const auto failures = std::count(a.begin(), a.end(), '1');
  EXPECT_GT(failures, 500);
  EXPECT_LT(failures, 700);
}

TEST(FaultInjectionTest, DelayUsesTheClock) {
  FakeClock clock;
  FaultOptions o = Parse("any:delay_ms=50;stat:delay_ms=25,count=1");
  o.clock = &clock;
  FaultInjectionBackend b(std::make_unique<MemoryBackend>(), o);
  (void)b.Stat("x");
  (void)b.Stat("x");
  EXPECT_EQ(clock.Sleeps(), (std::vector<Clock::Duration>{milliseconds(75), milliseconds(50)}));
}

TEST(FaultInjectionTest, TruncatedLoadEndsEarly) {
  FaultInjectionBackend b(std::make_unique<MemoryBackend>(),
                          Parse("load:prefix=data/,truncate=100,count=1"));
  Bytes data = RandomData(1000);
  ASSERT_TRUE(SaveBytes(b, "data/ab/t", data).ok());
  auto got = LoadBytes(b, "data/ab/t", 10, 0);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Bytes(data.begin() + 10, data.begin() + 110));
  EXPECT_EQ(*LoadBytes(b, "data/ab/t"), data);  // count=1: the next load is whole
}

TEST(FaultInjectionTest, FailAfterLeavesPartialObjectOnlyWhenNotAtomic) {
  Bytes data = RandomData(5000);
  {
    FaultInjectionBackend atomic(std::make_unique<MemoryBackend>(), Parse("save:fail_after=100"));
    StreamingSource src(data);
    Status st = atomic.Save("data/ab/f", src);
    EXPECT_EQ(st.code(), Code::kRetryable) << st.ToString();
    EXPECT_NE(st.message().find("after 100 bytes"), std::string::npos) << st.message();
    EXPECT_EQ(atomic.Stat("data/ab/f").status().code(), Code::kNotFound);
  }
  {
    FaultInjectionBackend partial(std::make_unique<MemoryBackend>(),
                                  Parse("atomic_replace=false;save:fail_after=100,error=io_error"));
    EXPECT_FALSE(partial.Properties().atomic_replace);
    Status st = SaveBytes(partial, "data/ab/f", data);
    EXPECT_EQ(st.code(), Code::kIOError) << st.ToString();
    auto left = LoadBytes(partial, "data/ab/f");
    ASSERT_TRUE(left.ok());
    EXPECT_EQ(*left, Bytes(data.begin(), data.begin() + 100));
  }
  {
    // A source no longer than the cut point is saved whole.
    FaultInjectionBackend small(std::make_unique<MemoryBackend>(), Parse("save:fail_after=5000"));
    ASSERT_TRUE(SaveBytes(small, "whole", data).ok());
    EXPECT_EQ(*LoadBytes(small, "whole"), data);
  }
}

TEST(FaultInjectionTest, LieIsDetectedByStatAndLoad) {
  FaultInjectionBackend b(std::make_unique<MemoryBackend>(), Parse("save:lie,count=1"));
  ASSERT_TRUE(SaveBytes(b, "snapshots/s1", AsBytes("snap")).ok());
  EXPECT_EQ(b.Stat("snapshots/s1").status().code(), Code::kNotFound);
  EXPECT_EQ(LoadBytes(b, "snapshots/s1").status().code(), Code::kNotFound);
  ASSERT_TRUE(SaveBytes(b, "snapshots/s1", AsBytes("snap")).ok());
  EXPECT_EQ(b.Stat("snapshots/s1")->size, 4u);
}

}  // namespace
}  // namespace custos
