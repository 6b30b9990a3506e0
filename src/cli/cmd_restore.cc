// custos restore SNAPSHOT --target DIR: restores a snapshot.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/common.h"
#include "vault/archiver.h"
#include "vault/restorer.h"

namespace custos::cli {

namespace {
struct RestoreArgs {
  std::string snapshot;
  std::string target;
  std::vector<std::string> includes;
  int threads = 0;  // 0: as many as the backend serves well
};

int RunRestore(const GlobalOptions& g, const RestoreArgs& a) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, false);
  if (!lock.ok()) return Fail(lock.status());
  // The index and the snapshot are independent reads: overlap them.
  std::optional<Result<Snapshot>> found;
  std::thread finder([&] { found.emplace(v.FindSnapshot(a.snapshot)); });
  Status st = v.LoadIndex();
  finder.join();
  if (!st.ok()) return Fail(st);
  Result<Snapshot>& snap = *found;
  if (!snap.ok()) return Fail(snap.status());
  RestoreOptions opts;
  opts.target = AbsolutePath(a.target);
  opts.includes = a.includes;
  opts.workers = a.threads;
  std::mutex mu;
  opts.on_error = [&](const std::string& path, const Status& e) {
    std::lock_guard l(mu);
    if (g.json)
      PrintJson({{"message_type", "error"}, {"path", path}, {"error", e.message()}});
    else
      std::fprintf(stderr, "error: %s: %s\n", path.c_str(), e.message().c_str());
  };
  auto t0 = std::chrono::steady_clock::now();
  auto stats = custos::RunRestore(v, *snap, opts);
  if (!stats.ok()) return Fail(stats.status());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (g.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", snap->id},
               {"files_restored", stats->files},
               {"dirs_restored", stats->dirs},
               {"other_restored", stats->other},
               {"bytes_restored", stats->bytes},
               {"errors", stats->errors},
               {"total_duration", secs}});
  } else if (!g.quiet) {
    std::printf("restored snapshot %s to %s: %llu files, %llu dirs, %s in %.2fs\n",
                snap->id.substr(0, 8).c_str(), opts.target.c_str(),
                (unsigned long long)stats->files, (unsigned long long)stats->dirs,
                HumanBytes(stats->bytes).c_str(), secs);
  }
  if (stats->errors > 0) {
    std::fprintf(stderr, "custos: %llu entries could not be restored (named above)\n",
                 (unsigned long long)stats->errors);
    return kExitFailure;
  }
  return kExitOk;
}
}  // namespace

void RegisterRestore(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<RestoreArgs>();
  CLI::App* cmd = app.add_subcommand("restore", "restore a snapshot into a directory");
  cmd->add_option("snapshot", a->snapshot, "snapshot id or 'latest'")->required();
  cmd->add_option("-t,--target", a->target, "directory to restore into")->required();
  cmd->add_option("-i,--include", a->includes, "restore only paths matching a glob (repeatable)");
  cmd->add_option("--threads", a->threads,
                  "pack ranges read at once (default: the backend's connection count, 2 to 4)")
      ->check(CLI::Range(1, 64));
  cmd->callback([&g, &exit_code, a] { exit_code = RunRestore(g, *a); });
}

}  // namespace custos::cli
