// custos prune: removes data no snapshot references.
#include <cstdio>

#include "cli/common.h"
#include "vault/pruner.h"

namespace custos::cli {

namespace {
struct PruneArgs {
  bool dry_run = false;
  double max_unused = 5;
};

int RunPruneCmd(const GlobalOptions& g, const PruneArgs& a) {
  auto vault = OpenVault(g);
  if (!vault.ok()) return FailOpen(vault.status());
  Vault& v = **vault;
  auto lock = Lock(v, g, true);
  if (!lock.ok()) return Fail(lock.status());
  PruneOptions opts;
  opts.dry_run = a.dry_run;
  opts.max_unused = a.max_unused / 100;
  opts.on_info = [&](const std::string& m) {
    if (!g.json && !g.quiet) std::printf("%s\n", m.c_str());
  };
  auto st = RunPrune(v, opts);
  if (!st.ok()) return Fail(st.status());
  if (g.json) {
    PrintJson({{"packs_total", st->packs_total},
               {"packs_deleted", st->packs_deleted},
               {"packs_repacked", st->packs_repacked},
               {"packs_unreferenced", st->packs_unreferenced},
               {"blobs_used", st->blobs_used},
               {"blobs_unused", st->blobs_unused},
               {"bytes_freed", st->bytes_freed},
               {"dry_run", a.dry_run}});
  } else {
    std::printf("%s %s\n", a.dry_run ? "would free" : "freed", HumanBytes(st->bytes_freed).c_str());
  }
  return kExitOk;
}
}  // namespace

void RegisterPrune(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto a = std::make_shared<PruneArgs>();
  CLI::App* cmd = app.add_subcommand("prune", "remove data that no snapshot references");
  cmd->add_flag("-n,--dry-run", a->dry_run, "only show what would be removed");
  cmd->add_option("--max-unused", a->max_unused,
                  "repack packs with more than this % unused (default 5)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->callback([&g, &exit_code, a] { exit_code = RunPruneCmd(g, *a); });
}

}  // namespace custos::cli
