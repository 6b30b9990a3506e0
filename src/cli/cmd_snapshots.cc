// custos snapshots: lists snapshots.
#include <cstdio>

#include "cli/common.h"

namespace custos::cli {

namespace {
struct SnapshotsArgs {
  std::vector<std::string> tags;
  std::string host;
};

int RunSnapshots(const GlobalOptions& g, const SnapshotsArgs& a) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  auto lock = Lock(**vault, g, false);
  if (!lock.ok()) return Fail(lock.status());
  std::vector<std::string> damaged;
  auto snaps = (*vault)->ListSnapshots(&damaged);
  if (!snaps.ok()) return Fail(snaps.status());
  for (const auto& d : damaged)
    std::fprintf(stderr, "custos: skipping damaged snapshot: %s\n", d.c_str());
  std::vector<Snapshot> shown;
  for (const auto& s : *snaps) {
    if (!a.host.empty() && s.hostname != a.host) continue;
    bool tag_ok = a.tags.empty();
    for (const auto& t : a.tags)
      if (std::find(s.tags.begin(), s.tags.end(), t) != s.tags.end()) tag_ok = true;
    if (tag_ok) shown.push_back(s);
  }
  if (g.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : shown) arr.push_back(SnapshotJson(s));
    PrintJson(arr);
    return damaged.empty() ? kExitOk : kExitFailure;
  }
  std::printf("%-9s %-19s  %-16s %-10s %-16s %s\n", "ID", "Time (UTC)", "Host", "Trigger", "Tags",
              "Paths");
  std::printf("%s\n", std::string(96, '-').c_str());
  for (const auto& s : shown) {
    std::string tags;
    for (size_t i = 0; i < s.tags.size(); ++i) tags += (i ? "," : "") + s.tags[i];
    for (size_t i = 0; i < std::max<size_t>(1, s.paths.size()); ++i) {
      if (i == 0) {
        std::printf("%-9s %-19s  %-16s %-10s %-16s %s%s\n", s.id.substr(0, 8).c_str(),
                    ShortTime(s.time_ns).c_str(), s.hostname.c_str(), s.trigger.c_str(),
                    tags.c_str(), s.paths.empty() ? "" : s.paths[0].c_str(),
                    s.partial ? " (partial)" : "");
      } else {
        std::printf("%76s %s\n", "", s.paths[i].c_str());
      }
    }
  }
  std::printf("%s\n%zu snapshots\n", std::string(96, '-').c_str(), shown.size());
  return damaged.empty() ? kExitOk : kExitFailure;
}
}  // namespace

void RegisterSnapshots(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<SnapshotsArgs>();
  CLI::App* cmd = app.add_subcommand("snapshots", "list snapshots");
  cmd->add_option("--tag", a->tags, "only snapshots with this tag (repeatable)");
  cmd->add_option("--host", a->host, "only snapshots from this host");
  cmd->callback([&g, &exit_code, a] { exit_code = RunSnapshots(g, *a); });
}

}  // namespace custos::cli
