#include "base/rfc3339.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>

namespace custos {
namespace {

int64_t Seconds(std::string_view s) {
  auto t = ParseRfc3339DateTime(s);
  EXPECT_TRUE(t.has_value()) << s;
  return t ? t->unix_seconds : -1;
}

TEST(Rfc3339Test, Values) {
  EXPECT_EQ(Seconds("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Seconds("2024-03-01T10:20:30Z"), 1709288430);
  EXPECT_EQ(Seconds("2024-03-01t10:20:30z"), 1709288430);
  EXPECT_EQ(Seconds("2024-03-01T11:20:30+01:00"), 1709288430);
  EXPECT_EQ(Seconds("2024-03-01T04:50:30-05:30"), 1709288430);
  EXPECT_EQ(Seconds("1969-12-31T23:59:59Z"), -1);
  EXPECT_EQ(Seconds("0001-01-01T00:00:00Z"), -62135596800);
  EXPECT_EQ(Seconds("9999-12-31T23:59:59Z"), 253402300799);
  // A leap second is the first instant of the next minute, as in POSIX time.
  EXPECT_EQ(Seconds("2016-12-31T23:59:60Z"), 1483228800);
  EXPECT_EQ(Seconds("2024-02-29T00:00:00Z"), 1709164800);

  auto t = ParseRfc3339DateTime("2024-03-01T10:20:30.123456789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->nanos, 123456789u);
  t = ParseRfc3339DateTime("2024-03-01T10:20:30.5+00:00");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->nanos, 500000000u);
  t = ParseRfc3339DateTime("2024-03-01T10:20:30.000001Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->nanos, 1000u);
  t = ParseRfc3339DateTime("2024-03-01T10:20:30Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->nanos, 0u);
}

TEST(Rfc3339Test, Rejects) {
  for (const char* s : {
           "",
           "2024-03-01",                       // a date alone
           "2024-03-01T10:20:30",              // no offset
           "2024-03-01 10:20:30Z",             // space
           " 2024-03-01T10:20:30Z",            // leading space
           "2024-03-01T10:20:30Z ",            // trailing space
           "2024-03-01T10:20:30Zjunk",         //
           "2024-02-30T10:20:30Z",             // no such day
           "2023-02-29T10:20:30Z",             // not a leap year
           "2024-13-01T10:20:30Z",             //
           "2024-00-01T10:20:30Z",             //
           "2024-01-00T10:20:30Z",             //
           "0000-01-01T00:00:00Z",             // year 0000
           "2024-03-01T24:00:00Z",             //
           "2024-03-01T10:60:00Z",             //
           "2024-03-01T10:20:61Z",             //
           "2024-03-01T10:20:30.Z",            // a point without digits
           "2024-03-01T10:20:30.1234567890Z",  // ten digits
           "2024-03-01T10:20:30+0100",         // offset without colon
           "2024-03-01T10:20:30+24:00",        //
           "2024-03-01T10:20:30+01:60",        //
           "2024-03-01T10:20:30+01",           //
           "+024-03-01T10:20:30Z",             // a sign in the year
           "2024-3-01T10:20:30Z",              // one-digit month
           "2024-03-01T1:20:30Z",              //
           "2024/03/01T10:20:30Z",             //
           "2024-03-01T10:20:30.12345678901+01:00",
       }) {
    EXPECT_FALSE(ParseRfc3339DateTime(s)) << s;
  }
}

TEST(Rfc3339Test, AgreesWithTheCLibraryOnRandomInstants) {
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<int64_t> secs(-62135596800, 253402300799);
  std::uniform_int_distribution<int> offset_minutes(-(23 * 60 + 59), 23 * 60 + 59);
  std::uniform_int_distribution<uint32_t> nanos(0, 999999999);
  for (int i = 0; i < 200000; ++i) {
    const int64_t utc = secs(rng);
    const int off = offset_minutes(rng);
    const uint32_t ns = nanos(rng);
    // The local time at that offset, written by the C library.
    const time_t local = static_cast<time_t>(utc + off * 60);
    struct tm tm;
    ASSERT_NE(gmtime_r(&local, &tm), nullptr);
    if (tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09u%c%02d:%02d",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  ns, off < 0 ? '-' : '+', std::abs(off) / 60, std::abs(off) % 60);
    auto t = ParseRfc3339DateTime(buf);
    ASSERT_TRUE(t) << buf;
    ASSERT_EQ(t->unix_seconds, utc) << buf;
    ASSERT_EQ(t->nanos, ns) << buf;
  }
}
}  // namespace
}  // namespace custos
