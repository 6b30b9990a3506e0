// Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (H.
// Hinnant's days_from_civil and civil_from_days), for formatting and parsing
// UTC times without the C library's time-zone state.
#pragma once

#include <cstdint>

namespace custos {

struct CivilDate {
  int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 of a valid date (negative before it).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);
// The date `days` days after 1970-01-01 (before it when negative).
CivilDate CivilFromDays(int64_t days);
bool IsLeapYear(int64_t year);
// Days in `month` (1..12) of `year`.
unsigned DaysInMonth(int64_t year, unsigned month);

}  // namespace custos
