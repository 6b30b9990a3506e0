// custos: backup and recovery for training records.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/common.h"

int main(int argc, char** argv) {
  using namespace custos::cli;
  // Large buffers (chunks, packs) are pooled; give freed ones straight back to
  // the system instead of letting glibc's adaptive threshold keep them in
  // per-thread arenas, which inflates peak memory.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  CLI::App app{"custos: verifiable, encrypted backup and recovery for training records"};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions g;
  app.add_option("-r,--repo", g.repo, "vault address (path, file:///path); or CUSTOS_REPO");
  app.add_option("--password-file", g.password_file,
                 "read the vault password from a file; or CUSTOS_PASSWORD_FILE / CUSTOS_PASSWORD");
  app.add_option("--key-file", g.key_file, "open the vault with a key file; or CUSTOS_KEY_FILE");
  app.add_option("--config", g.config,
                 "configuration file (TOML); or CUSTOS_CONFIG, else ~/.config/custos/custos.toml");
  app.add_flag("--json", g.json, "machine-readable output");
  app.add_flag("-q,--quiet", g.quiet, "no progress output");
  app.add_flag("--no-lock", g.no_lock, "do not lock the vault (read-only commands only)");

  int exit_code = kExitOk;
  for (Register r : {RegisterInit, RegisterBackup, RegisterSnapshots, RegisterLs, RegisterRestore,
                     RegisterCheck, RegisterForget, RegisterPrune, RegisterKey, RegisterStats,
                     RegisterDiff, RegisterUnlock, RegisterVersion, RegisterDest, RegisterRds, RegisterAudit, RegisterServe,
                     RegisterToken}) {
    r(app, g, exit_code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  return exit_code;
}
