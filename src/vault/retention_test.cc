#include "vault/retention.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"  // designated policies

#include <gtest/gtest.h>

#include <set>

#include "vault/util.h"

namespace custos {
namespace {

Snapshot At(const std::string& time, std::vector<std::string> tags = {}) {
  Snapshot s;
  auto t = ParseRfc3339(time);
  EXPECT_TRUE(t.ok()) << time;
  s.time_ns = *t;
  s.id = time;  // readable ids for the tables below
  s.tags = std::move(tags);
  s.hostname = "h";
  s.paths = {"/data"};
  return s;
}

std::set<std::string> Kept(const std::vector<Snapshot>& snaps, const RetentionPolicy& p) {
  std::set<std::string> out;
  for (const auto& s : ApplyRetention(snaps, p).keep) out.insert(s.id);
  return out;
}

// A year of snapshots: every day at 02:00 and 14:00 in 2026.
std::vector<Snapshot> TwiceDaily() {
  std::vector<Snapshot> v;
  for (int m = 1; m <= 12; ++m)
    for (int d = 1; d <= 28; ++d)
      for (int h : {2, 14}) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "2026-%02d-%02dT%02d:00:00Z", m, d, h);
        v.push_back(At(buf));
      }
  return v;
}

struct Case {
  const char* name;
  RetentionPolicy policy;
  std::set<std::string> expected;
};

TEST(Retention, PolicyTable) {
  auto snaps = TwiceDaily();
  std::vector<Case> cases = {
      {"last 3",
       {.last = 3},
       {"2026-12-28T14:00:00Z", "2026-12-28T02:00:00Z", "2026-12-27T14:00:00Z"}},
      {"daily 3",
       {.daily = 3},
       {"2026-12-28T14:00:00Z", "2026-12-27T14:00:00Z", "2026-12-26T14:00:00Z"}},
      {"hourly 2", {.hourly = 2}, {"2026-12-28T14:00:00Z", "2026-12-28T02:00:00Z"}},
      {"monthly 2", {.monthly = 2}, {"2026-12-28T14:00:00Z", "2026-11-28T14:00:00Z"}},
      {"yearly 5", {.yearly = 5}, {"2026-12-28T14:00:00Z"}},
      // ISO weeks: 2026-12-28 is a Monday (week 53), 12-27 ends week 52.
      {"weekly 2", {.weekly = 2}, {"2026-12-28T14:00:00Z", "2026-12-27T14:00:00Z"}},
      {"last 1 + daily 2 overlap",
       {.last = 1, .daily = 2},
       {"2026-12-28T14:00:00Z", "2026-12-27T14:00:00Z"}},
  };
  for (const auto& c : cases) EXPECT_EQ(Kept(snaps, c.policy), c.expected) << c.name;
}

TEST(Retention, WithinKeepsRecentRelativeToNewest) {
  auto snaps = TwiceDaily();
  RetentionPolicy p;
  p.within_ns = *ParseRetentionDuration("1d");
  auto kept = Kept(snaps, p);
  // Newest is 12-28 14:00; one day back reaches 12-27 14:00 inclusive.
  EXPECT_EQ(kept, (std::set<std::string>{"2026-12-28T14:00:00Z", "2026-12-28T02:00:00Z",
                                         "2026-12-27T14:00:00Z"}));
}

TEST(Retention, UnlimitedAndTags) {
  std::vector<Snapshot> snaps = {At("2026-01-01T00:00:00Z", {"audit"}), At("2026-02-01T00:00:00Z"),
                                 At("2026-03-01T00:00:00Z")};
  EXPECT_EQ(Kept(snaps, {.last = -1}).size(), 3u);
  RetentionPolicy p{.last = 1};
  p.tags = {"audit"};
  EXPECT_EQ(Kept(snaps, p),
            (std::set<std::string>{"2026-03-01T00:00:00Z", "2026-01-01T00:00:00Z"}));
  auto r = ApplyRetention(snaps, p);
  ASSERT_EQ(r.remove.size(), 1u);
  EXPECT_EQ(r.remove[0].id, "2026-02-01T00:00:00Z");
  EXPECT_EQ(r.reasons["2026-01-01T00:00:00Z"], std::vector<std::string>{"tag audit"});
}

TEST(Retention, EmptyPolicyKeepsEverything) {
  auto snaps = TwiceDaily();
  EXPECT_EQ(ApplyRetention(snaps, {}).keep.size(), snaps.size());
}

TEST(Retention, GroupsByHostAndPaths) {
  auto a = At("2026-01-01T00:00:00Z");
  auto b = At("2026-01-02T00:00:00Z");
  b.hostname = "other";
  auto c = At("2026-01-03T00:00:00Z");
  c.paths = {"/x", "/data"};
  auto d = At("2026-01-04T00:00:00Z");
  d.paths = {"/data", "/x"};
  auto groups = GroupSnapshots({a, b, c, d});
  EXPECT_EQ(groups.size(), 3u);  // c and d share a group: path order does not matter
}

TEST(Retention, DurationParsing) {
  EXPECT_EQ(*ParseRetentionDuration("2h"), 2 * 3600 * 1000000000LL);
  EXPECT_EQ(*ParseRetentionDuration("1y2m3d4h"), ((365 + 60 + 3) * 24 + 4) * 3600 * 1000000000LL);
  for (const char* bad : {"", "5", "d", "3x", "-1d", "1d2"}) {
    EXPECT_FALSE(ParseRetentionDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace custos

namespace custos {
namespace {

TEST(VaultTime, ParsesWhatItFormatsAndRejectsTheRest) {
  for (int64_t ns :
       {int64_t{0}, int64_t{1764134731123456789}, int64_t{-1}, int64_t{86400} * 1000000000}) {
    auto t = ParseRfc3339(FormatRfc3339(ns));
    ASSERT_TRUE(t.ok()) << FormatRfc3339(ns);
    EXPECT_EQ(*t, ns);
  }
  auto t = ParseRfc3339("2026-11-26T06:25:31.5+01:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, int64_t{1795670731} * 1000000000 + 500000000);  // 05:25:31.5Z
  // Once accepted and silently moved to 2 March by timegm.
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("2026-11-26").ok());
  EXPECT_FALSE(ParseRfc3339("2026-11-26 05:25:31Z").ok());
  auto far = ParseRfc3339("2263-01-01T00:00:00Z");  // beyond 64-bit nanoseconds
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.status().message().find("out of range"), std::string::npos);
  EXPECT_TRUE(ParseRfc3339("2262-01-01T00:00:00Z").ok());
  EXPECT_TRUE(ParseRfc3339("1678-01-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseRfc3339("1677-01-01T00:00:00Z").ok());
}

}  // namespace
}  // namespace custos
