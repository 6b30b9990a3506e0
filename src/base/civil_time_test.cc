#include "base/civil_time.h"

#include <gtest/gtest.h>

namespace custos {
namespace {

TEST(CivilTimeTest, KnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 2, 29), 11016);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
  const CivilDate d = CivilFromDays(11016);
  EXPECT_EQ(d.year, 2000);
  EXPECT_EQ(d.month, 2u);
  EXPECT_EQ(d.day, 29u);
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_TRUE(IsLeapYear(2024));
  EXPECT_FALSE(IsLeapYear(2100));
  EXPECT_FALSE(IsLeapYear(2023));
}

TEST(CivilTimeTest, EveryDayRoundTripsAndFollowsTheLast) {
  // From 0001-01-01 to past 9999-12-31: each day is the day after the one
  // before it, in the month lengths of the Gregorian calendar.
  const unsigned kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  CivilDate prev = CivilFromDays(DaysFromCivil(1, 1, 1) - 1);
  EXPECT_EQ(prev.year, 0);
  EXPECT_EQ(prev.month, 12u);
  EXPECT_EQ(prev.day, 31u);
  for (int64_t days = DaysFromCivil(1, 1, 1); days <= DaysFromCivil(10000, 1, 1); ++days) {
    const CivilDate d = CivilFromDays(days);
    ASSERT_EQ(DaysFromCivil(d.year, d.month, d.day), days);
    const unsigned last =
        kMonthDays[prev.month - 1] + (prev.month == 2 && IsLeapYear(prev.year) ? 1 : 0);
    if (prev.day < last) {
      ASSERT_TRUE(d.year == prev.year && d.month == prev.month && d.day == prev.day + 1) << days;
    } else if (prev.month < 12) {
      ASSERT_TRUE(d.year == prev.year && d.month == prev.month + 1 && d.day == 1) << days;
    } else {
      ASSERT_TRUE(d.year == prev.year + 1 && d.month == 1 && d.day == 1) << days;
    }
    prev = d;
  }
}

TEST(CivilTimeTest, DaysInMonth) {
  EXPECT_EQ(DaysInMonth(2024, 2), 29u);
  EXPECT_EQ(DaysInMonth(2023, 2), 28u);
  EXPECT_EQ(DaysInMonth(2000, 2), 29u);
  EXPECT_EQ(DaysInMonth(1900, 2), 28u);
  EXPECT_EQ(DaysInMonth(2024, 4), 30u);
  EXPECT_EQ(DaysInMonth(2024, 12), 31u);
}

}  // namespace
}  // namespace custos
