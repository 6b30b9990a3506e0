#include "vault/retention.h"

#include <algorithm>
#include <ctime>

namespace custos {

namespace {
struct Rule {
  const char* name;
  int count;
  int64_t (*bucket)(const struct tm&, const Snapshot&, size_t);
};

int64_t LastBucket(const struct tm&, const Snapshot&, size_t i) { return static_cast<int64_t>(i); }
int64_t HourBucket(const struct tm& t, const Snapshot&, size_t) {
  return (((t.tm_year + 1900) * 1000LL + t.tm_yday) * 100) + t.tm_hour;
}
int64_t DayBucket(const struct tm& t, const Snapshot&, size_t) {
  return (t.tm_year + 1900) * 1000LL + t.tm_yday;
}
int64_t WeekBucket(const struct tm& t, const Snapshot&, size_t) {
  char buf[16];
  strftime(buf, sizeof buf, "%G%V", &t);  // ISO year and week
  return std::atoll(buf);
}
int64_t MonthBucket(const struct tm& t, const Snapshot&, size_t) {
  return (t.tm_year + 1900) * 100LL + t.tm_mon;
}
int64_t YearBucket(const struct tm& t, const Snapshot&, size_t) { return t.tm_year + 1900; }
}  // namespace

RetentionResult ApplyRetention(std::vector<Snapshot> snaps, const RetentionPolicy& p) {
  std::stable_sort(snaps.begin(), snaps.end(),
                   [](const Snapshot& a, const Snapshot& b) { return a.time_ns > b.time_ns; });
  RetentionResult r;
  if (p.Empty()) {
    r.keep = snaps;
    return r;
  }
  Rule rules[] = {{"last", p.last, LastBucket},        {"hourly", p.hourly, HourBucket},
                  {"daily", p.daily, DayBucket},       {"weekly", p.weekly, WeekBucket},
                  {"monthly", p.monthly, MonthBucket}, {"yearly", p.yearly, YearBucket}};
  int left[6];
  int64_t last_bucket[6];
  bool have_last[6] = {};
  for (int k = 0; k < 6; ++k) left[k] = rules[k].count;
  int64_t newest = snaps.empty() ? 0 : snaps.front().time_ns;
  for (size_t i = 0; i < snaps.size(); ++i) {
    const Snapshot& s = snaps[i];
    time_t secs = static_cast<time_t>(s.time_ns / 1000000000);
    struct tm t;
    gmtime_r(&secs, &t);
    std::vector<std::string> why;
    for (int k = 0; k < 6; ++k) {
      if (left[k] == 0) continue;
      int64_t b = rules[k].bucket(t, s, i);
      if (have_last[k] && b == last_bucket[k]) continue;
      have_last[k] = true;
      last_bucket[k] = b;
      if (left[k] > 0) --left[k];
      why.push_back(rules[k].name);
    }
    if (p.within_ns > 0 && s.time_ns >= newest - p.within_ns) why.push_back("within");
    for (const auto& tag : p.tags) {
      if (std::find(s.tags.begin(), s.tags.end(), tag) != s.tags.end()) {
        why.push_back("tag " + tag);
        break;
      }
    }
    if (why.empty()) {
      r.remove.push_back(s);
    } else {
      r.reasons[s.id] = why;
      r.keep.push_back(s);
    }
  }
  return r;
}

std::map<std::string, std::vector<Snapshot>> GroupSnapshots(const std::vector<Snapshot>& snaps) {
  std::map<std::string, std::vector<Snapshot>> groups;
  for (const auto& s : snaps) {
    std::vector<std::string> paths = s.paths;
    std::sort(paths.begin(), paths.end());
    std::string key = "host " + s.hostname + ", paths [";
    for (size_t i = 0; i < paths.size(); ++i) key += (i ? ", " : "") + paths[i];
    key += "]";
    groups[key].push_back(s);
  }
  return groups;
}

Result<int64_t> ParseRetentionDuration(const std::string& text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t total_h = 0;
  int64_t num = -1;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      num = (num < 0 ? 0 : num) * 10 + (c - '0');
      if (num > 1000000) return Status::InvalidArgument("duration too large: " + text);
      continue;
    }
    if (num < 0) return Status::InvalidArgument("invalid duration '" + text + "'");
    switch (c) {
      case 'y':
        total_h += num * 365 * 24;
        break;
      case 'm':
        total_h += num * 30 * 24;
        break;
      case 'd':
        total_h += num * 24;
        break;
      case 'h':
        total_h += num;
        break;
      default:
        return Status::InvalidArgument("invalid duration '" + text + "' (use y, m, d, h)");
    }
    num = -1;
  }
  if (num >= 0) return Status::InvalidArgument("duration '" + text + "' lacks a unit (y, m, d, h)");
  return total_h * 3600 * 1000000000LL;
}

}  // namespace custos
