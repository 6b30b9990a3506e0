// custos-serve-dev: a binary with only the serve and token commands, for
// working on the server before the main binary registers them. Built only
// with -DCUSTOS_SERVER_DEV_MAIN=ON.
#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace custos::cli {
void RegisterServe(CLI::App&, GlobalOptions&, int&);
void RegisterToken(CLI::App&, GlobalOptions&, int&);
}  // namespace custos::cli

int main(int argc, char** argv) {
  using namespace custos::cli;
  CLI::App app{"custos (serve and token only)"};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions g;
  app.add_flag("--json", g.json, "machine-readable output");
  int exit_code = kExitOk;
  RegisterServe(app, g, exit_code);
  RegisterToken(app, g, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  return exit_code;
}
