// custos backup PATH...: backs up files and directories.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/common.h"
#include "vault/archiver.h"
#include "vault/util.h"

namespace custos::cli {

namespace {
struct BackupArgs {
  std::vector<std::string> paths;
  std::vector<std::string> tags;
  std::vector<std::string> excludes;
  std::string trigger = "manual";
  std::string parent;
  bool force = false;
  int threads = 2;
};

// Prints a one-line status to a terminal while work runs.
class ProgressLine {
 public:
  ProgressLine(bool enabled, std::function<std::string()> line)
      : enabled_(enabled), line_(std::move(line)) {
    if (enabled_) thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressLine() { Stop(); }
  void Stop() {
    if (!enabled_) return;
    {
      std::lock_guard l(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
  }

 private:
  void Loop() {
    std::unique_lock l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(250), [&] { return stop_; })) {
      std::fprintf(stderr, "\r\033[K%s", line_().c_str());
      std::fflush(stderr);
    }
  }
  bool enabled_;
  std::function<std::string()> line_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

int RunBackup(const GlobalOptions& g, const BackupArgs& a) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, false);
  if (!lock.ok()) return Fail(lock.status());
  // The parent: the newest snapshot of the same paths on this host. Finding
  // it and loading the index are independent reads: overlap them.
  auto find_parent = [&]() -> Result<std::optional<Snapshot>> {
    if (a.force) return std::optional<Snapshot>();
    if (!a.parent.empty()) {
      ASSIGN_OR_RETURN(Snapshot p, v.FindSnapshot(a.parent));
      return std::optional<Snapshot>(std::move(p));
    }
    std::vector<std::string> want;
    for (const auto& p : a.paths) want.push_back(AbsolutePath(p));
    std::sort(want.begin(), want.end());
    std::vector<std::string> damaged;  // cannot be parents; check reports them
    ASSIGN_OR_RETURN(auto snaps, v.ListSnapshots(&damaged));
    std::string host = HostName();
    for (auto it = snaps.rbegin(); it != snaps.rend(); ++it) {
      auto paths = it->paths;
      std::sort(paths.begin(), paths.end());
      if (it->hostname == host && paths == want) return std::optional<Snapshot>(*it);
    }
    return std::optional<Snapshot>();
  };
  std::optional<Result<std::optional<Snapshot>>> found;
  std::thread finder([&] { found.emplace(find_parent()); });
  Status st = v.LoadIndex();
  finder.join();
  if (!st.ok()) return Fail(st);
  if (!found->ok()) return Fail(found->status());
  std::optional<Snapshot> parent = std::move(**found);

  BackupOptions opts;
  opts.paths = a.paths;
  opts.tags = a.tags;
  opts.excludes = a.excludes;
  opts.trigger = a.trigger;
  opts.file_workers = a.threads;
  opts.blob_workers = a.threads;
  opts.parent = parent ? &*parent : nullptr;
  BackupProgress progress;
  opts.progress = &progress;
  std::mutex err_mu;
  opts.on_error = [&](const std::string& path, const Status& e) {
    std::lock_guard l(err_mu);
    if (g.json) {
      PrintJson({{"message_type", "error"}, {"path", path}, {"error", e.message()}});
    } else {
      std::fprintf(stderr, "\r\033[Kerror: %s: %s\n", path.c_str(), e.message().c_str());
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  ProgressLine line(!g.quiet && !g.json && StderrIsTerminal(), [&] {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char buf[200];
    std::snprintf(buf, sizeof buf, "[%4.0fs] %llu files, %llu dirs, %s read, %llu errors", secs,
                  (unsigned long long)progress.files.load(),
                  (unsigned long long)progress.dirs.load(), HumanBytes(progress.bytes).c_str(),
                  (unsigned long long)progress.errors.load());
    return std::string(buf);
  });
  auto snap = custos::RunBackup(v, opts);
  line.Stop();
  if (!snap.ok()) return Fail(snap.status());
  const auto& m = snap->summary;
  if (g.json) {
    PrintJson({{"message_type", "summary"},
               {"snapshot_id", snap->id},
               {"files_new", m.files_new},
               {"files_changed", m.files_changed},
               {"files_unmodified", m.files_unmodified},
               {"dirs", m.dirs},
               {"data_blobs", m.data_blobs_added},
               {"tree_blobs", m.tree_blobs_added},
               {"data_added", m.bytes_added},
               {"data_stored", m.bytes_stored},
               {"total_bytes_processed", m.bytes_processed},
               {"total_duration", m.duration_s},
               {"errors", m.errors},
               {"partial", snap->partial}});
  } else if (!g.quiet) {
    std::printf("Files:       %llu new, %llu changed, %llu unmodified\n",
                (unsigned long long)m.files_new, (unsigned long long)m.files_changed,
                (unsigned long long)m.files_unmodified);
    std::printf("Dirs:        %llu\n", (unsigned long long)m.dirs);
    std::printf("Added:       %s (%s stored after compression and encryption)\n",
                HumanBytes(m.bytes_added).c_str(), HumanBytes(m.bytes_stored).c_str());
    std::printf("Processed:   %s in %.2fs\n", HumanBytes(m.bytes_processed).c_str(), m.duration_s);
    std::printf("snapshot %s saved\n", snap->id.substr(0, 8).c_str());
    if (snap->partial) {
      std::printf("warning: %llu source entries could not be read; the snapshot is partial\n",
                  (unsigned long long)m.errors);
    }
  }
  return snap->partial ? kExitPartial : kExitOk;
}
}  // namespace

void RegisterBackup(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<BackupArgs>();
  CLI::App* cmd = app.add_subcommand("backup", "back up files and directories");
  cmd->add_option("paths", a->paths, "files and directories to back up")->required();
  cmd->add_option("--tag", a->tags, "tag the snapshot (repeatable)");
  cmd->add_option("-e,--exclude", a->excludes, "exclude a glob pattern (repeatable)");
  cmd->add_option("--trigger", a->trigger, "what started this backup (recorded in the snapshot)");
  cmd->add_option("--parent", a->parent,
                  "snapshot to compare against (default: latest of same paths)");
  cmd->add_flag("-f,--force", a->force, "read every file, ignoring the parent snapshot");
  cmd->add_option("--threads", a->threads, "worker threads (default 2)")->check(CLI::Range(1, 64));
  cmd->callback([&g, &exit_code, a] { exit_code = RunBackup(g, *a); });
}

}  // namespace custos::cli
