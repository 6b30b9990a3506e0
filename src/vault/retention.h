// Retention policies (restic's forget semantics).
//
// Snapshots are grouped (by host and paths), sorted newest first, and a
// snapshot is kept when any rule keeps it:
//   last N     the N newest;
//   hourly N   the newest snapshot of each of the N newest hours that have one;
//   daily, weekly (ISO week), monthly, yearly likewise;
//   within D   every snapshot younger than D before the group's newest one;
//   tags       every snapshot carrying one of the tags.
// A count of -1 means unlimited. Calendar buckets use UTC.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "vault/snapshot.h"

namespace custos {

struct RetentionPolicy {
  int last = 0, hourly = 0, daily = 0, weekly = 0, monthly = 0, yearly = 0;
  int64_t within_ns = 0;
  std::vector<std::string> tags;
  bool Empty() const {
    return !last && !hourly && !daily && !weekly && !monthly && !yearly && !within_ns &&
           tags.empty();
  }
};

struct RetentionResult {
  std::vector<Snapshot> keep, remove;
  std::map<std::string, std::vector<std::string>> reasons;  // snapshot id -> rules
};

// Applies the policy to one group of snapshots.
RetentionResult ApplyRetention(std::vector<Snapshot> snaps, const RetentionPolicy& policy);

// Splits snapshots into groups by hostname and paths.
std::map<std::string, std::vector<Snapshot>> GroupSnapshots(const std::vector<Snapshot>& snaps);

// "1y2m3d4h" (years, months, days, hours; y=365d, m=30d) -> nanoseconds.
Result<int64_t> ParseRetentionDuration(const std::string& text);

}  // namespace custos
