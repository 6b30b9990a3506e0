// custos unlock: removes stale locks (or all with --remove-all).
#include <cstdio>

#include "cli/common.h"

namespace custos::cli {

void RegisterUnlock(CLI::App& app, GlobalOptions& g, int& exit_code) {
  auto all = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("unlock", "remove stale locks");
  cmd->add_flag("--remove-all", *all, "remove every lock, even live ones");
  cmd->callback([&g, &exit_code, all] {
    auto vault = OpenVault(g);
    if (!vault.ok()) {
      exit_code = FailOpen(vault.status());
      return;
    }
    auto n = RemoveLocks(**vault, *all);
    if (!n.ok()) {
      exit_code = Fail(n.status());
      return;
    }
    if (!g.quiet) std::printf("removed %d locks\n", *n);
    exit_code = kExitOk;
  });
}

}  // namespace custos::cli
