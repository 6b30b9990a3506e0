// custos version: prints the program and vault format versions.
#include <cstdio>

#include "cli/common.h"

namespace custos::cli {

void RegisterVersion(CLI::App& app, GlobalOptions& g, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("version", "print the version");
  cmd->callback([&g, &exit_code] {
    if (g.json)
      PrintJson({{"version", kCustosVersion}, {"vault_format", kVaultVersion}});
    else
      std::printf("custos %s (vault format %d)\n", kCustosVersion, kVaultVersion);
    exit_code = kExitOk;
  });
}

}  // namespace custos::cli
