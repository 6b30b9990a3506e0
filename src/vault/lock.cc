#include "vault/lock.h"

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "vault/util.h"

namespace custos {

namespace {
constexpr int64_t kStaleNs = 30ll * 60 * 1000000000;
constexpr auto kRefresh = std::chrono::minutes(5);

Bytes Serialize(const LockInfo& l) {
  nlohmann::json j = {{"exclusive", l.exclusive},
                      {"hostname", l.hostname},
                      {"pid", l.pid},
                      {"time", FormatRfc3339(l.time_ns)}};
  std::string s = j.dump();
  return Bytes(s.begin(), s.end());
}

Result<LockInfo> Parse(ByteView b) {
  auto j = nlohmann::json::parse(b.begin(), b.end(), nullptr, false);
  if (j.is_discarded()) return Status::Corruption("lock is not valid JSON");
  try {
    LockInfo l;
    l.exclusive = j.at("exclusive").get<bool>();
    l.hostname = j.at("hostname").get<std::string>();
    l.pid = j.at("pid").get<int64_t>();
    auto t = ParseRfc3339(j.at("time").get<std::string>());
    if (!t.ok()) return Status::Corruption("lock has a bad time");
    l.time_ns = *t;
    return l;
  } catch (const std::exception&) {
    return Status::Corruption("lock is malformed");
  }
}
}  // namespace

bool VaultLock::IsStale(const LockInfo& info) {
  if (NowUnixNs() - info.time_ns > kStaleNs) return true;
  if (info.hostname == HostName() && info.pid > 0) {
    if (kill(static_cast<pid_t>(info.pid), 0) != 0 && errno == ESRCH) return true;
  }
  return false;
}

VaultLock::VaultLock(Vault& vault, LockInfo info, std::string name)
    : vault_(vault), info_(info), name_(std::move(name)) {
  refresher_ = std::thread([this] { RefreshLoop(); });
}

VaultLock::~VaultLock() { (void)Release(); }

void VaultLock::RefreshLoop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, kRefresh, [&] { return stop_; })) {
    info_.time_ns = NowUnixNs();
    auto fresh = vault_.SaveObject(ObjectType::kLock, "locks", Serialize(info_));
    if (fresh.ok()) {
      (void)vault_.backend().Remove(name_);
      name_ = *fresh;
    }
  }
}

Status VaultLock::Release() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return Status::OK();
    stop_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  Status st = vault_.backend().Remove(name_);
  return st.IsNotFound() ? Status::OK() : st;
}

Result<std::unique_ptr<VaultLock>> VaultLock::Acquire(Vault& vault, bool exclusive) {
  LockInfo mine{exclusive, HostName(), static_cast<int64_t>(getpid()), NowUnixNs()};
  ASSIGN_OR_RETURN(std::string name, vault.SaveObject(ObjectType::kLock, "locks", Serialize(mine)));
  auto release = [&] { (void)vault.backend().Remove(name); };
  auto names = vault.ListNames("locks/");
  if (!names.ok()) {
    release();
    return names.status();
  }
  for (const auto& other : *names) {
    if (other == name) continue;
    auto body = vault.LoadObject(ObjectType::kLock, other);
    if (!body.ok()) {
      if (body.status().IsNotFound()) continue;  // released meanwhile
      // An unreadable lock (for instance a half-written one) cannot hold anything.
      continue;
    }
    auto info = Parse(*body);
    if (!info.ok()) continue;
    if (IsStale(*info)) {
      (void)vault.backend().Remove(other);
      continue;
    }
    if (exclusive || info->exclusive) {
      release();
      return Status::Locked("vault is locked " + std::string(info->exclusive ? "exclusively" : "") +
                            " by pid " + std::to_string(info->pid) + " on " + info->hostname +
                            " since " + FormatRfc3339(info->time_ns) + " (" + other + ")");
    }
  }
  return std::unique_ptr<VaultLock>(new VaultLock(vault, mine, name));
}

Result<int> RemoveLocks(Vault& vault, bool all) {
  ASSIGN_OR_RETURN(auto names, vault.ListNames("locks/"));
  int removed = 0;
  for (const auto& n : names) {
    bool remove = all;
    if (!remove) {
      auto body = vault.LoadObject(ObjectType::kLock, n);
      auto info = body.ok() ? Parse(*body) : Result<LockInfo>(body.status());
      remove = !info.ok() || VaultLock::IsStale(*info);
    }
    if (remove && vault.backend().Remove(n).ok()) ++removed;
  }
  return removed;
}

}  // namespace custos
