// RFC 3339 date-times ("2026-11-26T05:25:31Z", "2026-11-26T06:25:31.5+01:00"):
// one strict parser for the whole program.
//
// Accepted: YYYY-MM-DD, 'T' (or 't'), hh:mm:ss, an optional fraction of 1 to
// 9 digits, then 'Z' (or 'z') or an offset +hh:mm / -hh:mm; nothing before or
// after. The date must exist (no 30 February, no year 0000); hours 00..23, minutes
// 00..59, seconds 00..60 (60 is a leap second, counted as the first instant
// of the next minute, as POSIX time does); offsets up to 23:59.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace custos {

struct UtcInstant {
  int64_t unix_seconds = 0;  // seconds since 1970-01-01T00:00:00Z
  uint32_t nanos = 0;        // 0..999,999,999 (the fraction, zero-padded)
};

std::optional<UtcInstant> ParseRfc3339DateTime(std::string_view s);

}  // namespace custos
