// The transport-independent parts of http_client.h: Retry-After parsing,
// status classification, percent-encoding and header lookup.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>

#include "base/civil_time.h"
#include "storage/http/http_client.h"

namespace custos::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses exactly `digits` decimal digits at s[pos...].
bool ParseDigits(std::string_view s, size_t pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + digits; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// IMF-fixdate (RFC 9110 5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<std::chrono::system_clock::time_point> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  bool day_ok = false;
  for (auto d : kDays) day_ok |= s.substr(0, 3) == d;
  if (!day_ok) return std::nullopt;
  unsigned month = 0;
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (month == 0 || !ParseDigits(s, 5, 2, day) || !ParseDigits(s, 12, 4, year) ||
      !ParseDigits(s, 17, 2, hh) || !ParseDigits(s, 20, 2, mm) || !ParseDigits(s, 23, 2, ss)) {
    return std::nullopt;
  }
  static constexpr std::array<int, 12> kMonthDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  int max_day = kMonthDays[month - 1] + (month == 2 && IsLeapYear(year) ? 1 : 0);
  if (day < 1 || day > max_day || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int64_t secs =
      DaysFromCivil(year, month, static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
  return std::chrono::system_clock::time_point(std::chrono::seconds(secs));
}

}  // namespace

std::optional<std::string> Response::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (value.front() >= '0' && value.front() <= '9') {
    uint64_t secs = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    // A day is far beyond any sensible hint; larger values are clamped.
    constexpr uint64_t kMaxSeconds = 86400;
    if (secs > kMaxSeconds) secs = kMaxSeconds;
    return std::chrono::milliseconds(secs * 1000);
  }
  auto when = ParseImfFixdate(value);
  if (!when) return std::nullopt;
  if (*when <= now) return std::chrono::milliseconds(0);
  auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
  return std::min(delta, std::chrono::milliseconds(86400LL * 1000));
}

Status ClassifyStatus(const Response& resp, std::string_view context, std::string_view detail) {
  const int code = resp.status;
  if (code >= 200 && code < 300) return Status::OK();
  std::string msg(context);
  msg += ": HTTP ";
  msg += std::to_string(code);
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  switch (code) {
    case 404:
      return Status::NotFound(std::move(msg));
    case 401:
    case 403:
      return Status::PermissionDenied(std::move(msg));
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504: {
      std::optional<std::chrono::milliseconds> after;
      if (auto h = resp.Header("retry-after")) after = ParseRetryAfter(*h);
      return Status::Retryable(std::move(msg), after);
    }
    case 507:
      return Status::NoSpace(std::move(msg));
    default:
      break;
  }
  if (code >= 400 && code < 500) return Status::InvalidArgument(std::move(msg));
  return Status::IOError(std::move(msg));
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace custos::http
