// custos forget: removes snapshots by a retention policy (and prunes).
#include <cstdio>

#include "cli/common.h"
#include "vault/pruner.h"
#include "vault/retention.h"

namespace custos::cli {

namespace {
struct ForgetArgs {
  RetentionPolicy policy;
  std::string within;
  std::vector<std::string> ids;
  bool prune = false;
  bool dry_run = false;
};

int RunForget(const GlobalOptions& g, ForgetArgs a) {
  if (!a.within.empty()) {
    auto d = ParseRetentionDuration(a.within);
    if (!d.ok()) return Fail(d.status());
    a.policy.within_ns = *d;
  }
  if (a.policy.Empty() && a.ids.empty()) {
    return Fail(Status::InvalidArgument(
        "no policy given: use --keep-last/-hourly/-daily/-weekly/-monthly/-yearly, "
        "--keep-within, --keep-tag, or snapshot ids"));
  }
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, a.prune);
  if (!lock.ok()) return Fail(lock.status());
  std::vector<std::string> damaged;
  auto snaps = v.ListSnapshots(&damaged);
  if (!snaps.ok()) return Fail(snaps.status());
  for (const auto& d : damaged) {
    std::fprintf(stderr, "warning: damaged snapshot left alone (remove it by id): %s\n", d.c_str());
  }

  std::vector<Snapshot> remove;
  nlohmann::json out = nlohmann::json::array();
  if (!a.ids.empty()) {
    // By id: resolved by name only, so a damaged snapshot can be removed too.
    nlohmann::json removed = nlohmann::json::array();
    for (const auto& id : a.ids) {
      auto name = v.ResolveSnapshotName(id);
      if (!name.ok()) return Fail(name.status());
      Snapshot s;
      s.id = BaseName(*name);
      remove.push_back(s);
      removed.push_back({{"id", s.id}});
      if (!g.json) std::printf("  remove %s\n", s.id.substr(0, 8).c_str());
    }
    out.push_back({{"group", "by id"}, {"keep", nlohmann::json::array()}, {"remove", removed}});
  } else {
    for (auto& [group, list] : GroupSnapshots(*snaps)) {
      RetentionResult r = ApplyRetention(list, a.policy);
      nlohmann::json gj = {
          {"group", group}, {"keep", nlohmann::json::array()}, {"remove", nlohmann::json::array()}};
      if (!g.json)
        std::printf("%s: keep %zu, remove %zu\n", group.c_str(), r.keep.size(), r.remove.size());
      for (const auto& s : r.keep) {
        std::string why;
        for (const auto& w : r.reasons[s.id]) why += (why.empty() ? "" : ", ") + w;
        gj["keep"].push_back(
            {{"id", s.id}, {"time", SnapshotJson(s)["time"]}, {"reasons", r.reasons[s.id]}});
        if (!g.json)
          std::printf("  keep   %s %s (%s)\n", s.id.substr(0, 8).c_str(),
                      ShortTime(s.time_ns).c_str(), why.c_str());
      }
      for (const auto& s : r.remove) {
        gj["remove"].push_back({{"id", s.id}, {"time", SnapshotJson(s)["time"]}});
        if (!g.json)
          std::printf("  remove %s %s\n", s.id.substr(0, 8).c_str(), ShortTime(s.time_ns).c_str());
        remove.push_back(s);
      }
      out.push_back(gj);
    }
  }
  if (!a.dry_run) {
    for (const auto& s : remove) {
      Status st = v.backend().Remove("snapshots/" + s.id);
      if (!st.ok() && !st.IsNotFound()) return Fail(st.WithContext("snapshots/" + s.id));
    }
  }
  if (g.json)
    PrintJson(out);
  else
    std::printf("%s %zu snapshots\n", a.dry_run ? "would remove" : "removed", remove.size());
  if (a.prune && !a.dry_run && !remove.empty()) {
    PruneOptions po;
    po.on_info = [&](const std::string& m) {
      if (!g.json && !g.quiet) std::printf("%s\n", m.c_str());
    };
    auto st = RunPrune(v, po);
    if (!st.ok()) return Fail(st.status());
    if (!g.json) std::printf("freed %s\n", HumanBytes(st->bytes_freed).c_str());
  }
  return kExitOk;
}
}  // namespace

void RegisterForget(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<ForgetArgs>();
  CLI::App* cmd = app.add_subcommand("forget", "remove snapshots by a retention policy");
  cmd->add_option("ids", a->ids, "snapshot ids to remove (instead of a policy)");
  cmd->add_option("--keep-last", a->policy.last, "keep the N newest snapshots (-1: all)");
  cmd->add_option("--keep-hourly", a->policy.hourly, "keep the newest of N hours");
  cmd->add_option("--keep-daily", a->policy.daily, "keep the newest of N days");
  cmd->add_option("--keep-weekly", a->policy.weekly, "keep the newest of N weeks");
  cmd->add_option("--keep-monthly", a->policy.monthly, "keep the newest of N months");
  cmd->add_option("--keep-yearly", a->policy.yearly, "keep the newest of N years");
  cmd->add_option("--keep-within", a->within,
                  "keep snapshots newer than DURATION (1y2m3d4h) before the newest");
  cmd->add_option("--keep-tag", a->policy.tags, "keep snapshots with this tag (repeatable)");
  cmd->add_flag("--prune", a->prune, "prune unreferenced data afterwards");
  cmd->add_flag("-n,--dry-run", a->dry_run, "only show what would be removed");
  cmd->callback([&g, &exit_code, a] { exit_code = RunForget(g, *a); });
}

}  // namespace custos::cli
