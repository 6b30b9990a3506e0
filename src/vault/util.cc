#include "vault/util.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/rfc3339.h"

namespace custos {

int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatRfc3339(int64_t unix_ns) {
  time_t secs = static_cast<time_t>(unix_ns / 1000000000);
  long nanos = static_cast<long>(unix_ns % 1000000000);
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
  return buf;
}

std::string NowRfc3339() { return FormatRfc3339(NowUnixNs()); }

Result<int64_t> ParseRfc3339(const std::string& s) {
  const std::optional<UtcInstant> t = ParseRfc3339DateTime(s);
  if (!t) return Status::InvalidArgument("invalid time '" + s + "'");
  // Nanoseconds since 1970 fit in 64 bits from 1677 to 2262.
  constexpr int64_t kLimit = INT64_MAX / 1000000000 - 1;
  if (t->unix_seconds > kLimit || t->unix_seconds < -kLimit) {
    return Status::InvalidArgument("time '" + s + "' is out of range");
  }
  return t->unix_seconds * 1000000000 + t->nanos;
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string UserName() {
  struct passwd pw, *res = nullptr;
  char buf[4096];
  if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &res) == 0 && res) return res->pw_name;
  return std::to_string(getuid());
}

}  // namespace custos
