// Small helpers shared by the vault: time, host and user names.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace custos {

// Current time as RFC 3339 with nanoseconds in UTC: 2026-11-26T05:25:31.123456789Z
std::string NowRfc3339();
std::string FormatRfc3339(int64_t unix_ns);
// Parses an RFC 3339 date-time ("2026-11-26T05:25:31Z", fractional seconds
// and +hh:mm offsets allowed; base/rfc3339.h) into nanoseconds since the
// epoch. InvalidArgument for anything else, and for times outside
// 1677..2262, which 64-bit nanoseconds cannot hold.
Result<int64_t> ParseRfc3339(const std::string& s);
int64_t NowUnixNs();
std::string HostName();
std::string UserName();

}  // namespace custos
