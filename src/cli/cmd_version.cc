// custos version: prints the program and vault format versions, and the
// allocator the program runs on (base/allocator.h).
#include <cstdio>

#include "base/allocator.h"
#include "cli/common.h"

namespace custos::cli {

void RegisterVersion(CLI::App& app, GlobalOptions& g, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("version", "print the version");
  cmd->callback([&g, &exit_code] {
    const std::string allocator = AllocatorName();
    if (g.json)
      PrintJson(
          {{"version", kCustosVersion}, {"vault_format", kVaultVersion}, {"allocator", allocator}});
    else
      std::printf("custos %s (vault format %d)\nallocator: %s\n", kCustosVersion, kVaultVersion,
                  allocator.c_str());
    exit_code = kExitOk;
  });
}

}  // namespace custos::cli
